"""Applying ``usage`` lines, a parsed block at a time, while the file is read (the cards are
applied already).

``UsageWriter`` is the portable way (SQLite, and PostgreSQL when a block meets ids already
stored): per block, in one transaction, it resolves the cards, looks the center's ids up in
``UsageKey``, inserts the new keys with ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (so a
concurrent import cannot make it store an id twice) and bulk-inserts their records. A line
whose id is stored already is "unchanged" when its digest is the same and a conflict when
not; a line whose id appeared earlier in the same block is checked after that block's new
lines are stored, against the store, like a replay. ``cards/feed/postgres.py`` adds the
COPY fast path.

Card balances: the newest usage line per card (by ``at``, then file order) is collected over
the import, counting unchanged lines too, and written at the end (and whenever many cards
wait), only where it is newer than the card's ``balance_at``. So a replay after a failure
repairs a balance the failure left behind, and one card gets one update per import, not one
per block.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q

from cards.models import Card, UsageKey, UsageRecord

from .blocks import Block
from .content import Values, conflict_reason, differences, unescape, usage_values_from_text, utc_text

_CHUNK = 500

class Row(NamedTuple):
    """A usage line on the careful path (where a line may repeat an id or conflict with one)."""

    line: int
    values: Values  # content.usage_values: id, icoca_number, at (UTC text), kind, amount, balance, ...
    text: str
    digest: str
    card_id: int

    @property
    def key(self) -> str:
        return self.values[0]

    @property
    def at(self) -> str:
        return self.values[2]

    @property
    def balance(self) -> int:
        return self.values[5]


@dataclass(frozen=True)
class UsageReject:
    line: int
    key: str
    reason: str  # "" when ``unknown_card`` is set: the importer says why it is unknown
    unknown_card: str = ""


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CardIds:
    """ICOCA number → card id (``None``: no such card), for the cards of one import, at
    most ``limit`` of them at a time."""

    def __init__(self, limit: int = 500_000) -> None:
        self.limit, self.ids = limit, {}

    def of(self, numbers: list[str]) -> list[int | None]:
        ids = self.ids
        unknown = {number for number in numbers if number not in ids}
        if unknown:
            if len(ids) + len(unknown) > self.limit:  # empty the cache, keep this block's
                ids.clear()
                unknown = set(numbers)
            postgres = connection.vendor == "postgresql"
            for chunk in _chunks(sorted(unknown), 10_000 if postgres else _CHUNK):
                ids.update(dict.fromkeys(chunk))
                ids.update(_card_ids(chunk, postgres))
        return [ids[number] for number in numbers]


def _card_ids(numbers: Sequence[str], postgres: bool) -> Iterable[tuple[str, int]]:
    """``(number, id)`` of the stored cards among ``numbers`` (valid ICOCA numbers)."""
    if postgres:  # one query, its array as a literal: the numbers need no quoting
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT icoca_number, id FROM {Card._meta.db_table} WHERE icoca_number = ANY(%s::varchar[])",  # noqa: S608
                ["{" + ",".join(numbers) + "}"],
            )
            return cursor.fetchall()
    return Card.objects.filter(icoca_number__in=numbers).values_list("icoca_number", "id")


class Balances:
    """The newest usage line per card seen in this import: ``(at, balance)``. Lines are noted
    in file order, so of two at the same time the later one wins."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit, self.latest = limit, {}

    def note(self, card_id: int, at: str, balance: int) -> None:
        seen = self.latest.get(card_id)
        if seen is None or at >= seen[0]:
            self.latest[card_id] = (at, balance)

    def note_block(self, block: Block, card_ids: list[int | None]) -> None:
        """The newest line of each card in a block whose lines are all stored or unchanged."""
        latest = self.latest
        for index, at, balance in block.newest_lines():
            card_id = card_ids[index]
            if card_id is not None:
                seen = latest.get(card_id)
                if seen is None or at >= seen[0]:
                    latest[card_id] = (at, balance)

    def check(self) -> None:
        if len(self.latest) >= self.limit:
            self.write()

    def write(self) -> None:
        items = sorted(self.latest.items())  # one order for every import: no deadlocks
        self.latest = {}
        for chunk in _chunks(items, 5000):
            self._update(chunk)

    @staticmethod
    @transaction.atomic
    def _update(items: Sequence[tuple[int, tuple[str, int, int]]]) -> None:
        for card_id, (at, balance) in items:
            moment = datetime.fromisoformat(at)
            Card.objects.filter(Q(balance_at__isnull=True) | Q(balance_at__lt=moment), pk=card_id).update(
                balance=balance, balance_at=moment
            )


class UsageWriter:
    """Applies the usage lines of parsed blocks, one transaction per block."""

    def __init__(self) -> None:
        self.cards, self.balances = CardIds(), Balances()
        self.imported = self.unchanged = 0
        self.rejects: deque[UsageReject] = deque()  # taken by the importer (popleft)
        self._conflicts: set[int] = set()

    def write_block(self, block: Block) -> None:
        if not block.lines:
            return
        card_ids = self.cards.of(block.numbers)
        if None in card_ids:
            self._reject_unknown(block, card_ids)
        self.write(block, card_ids)
        self.balances.check()

    def finish(self) -> None:
        self.balances.write()

    def close(self) -> None:
        """After an error: stop (what was written stays written)."""

    def _reject_unknown(self, block: Block, card_ids: list[int | None]) -> None:
        for (line, text, _), card_id in zip(block.usage(), card_ids, strict=True):
            if card_id is None:
                values = usage_values_from_text(text)
                self.rejects.append(UsageReject(line, values[0], "", unknown_card=values[1]))

    @transaction.atomic
    def write(self, block: Block, card_ids: list[int | None]) -> None:
        if not self.replayed(block, card_ids):
            self.write_rows(self.rows(block, card_ids))

    def replayed(self, block: Block, card_ids: list[int | None]) -> bool:
        """Count a replayed block (each line's id stored, with the same digest, once in the
        block) as unchanged, without looking further at its lines."""
        pairs = [pair.split("\t") for pair in block.key_copy.decode("utf-8").split("\n")[:-1]]
        keys = [unescape(key) for key, _ in pairs]
        if len(set(keys)) != len(keys):
            return False
        stored = self._stored_digests(keys)
        known = 0
        for key, (_, signature), card_id in zip(keys, pairs, card_ids, strict=True):
            if card_id is not None:
                if stored.get(key) != signature:
                    return False
                known += 1
        self.unchanged += known
        self.balances.note_block(block, card_ids)
        return True

    @staticmethod
    def rows(block: Block, card_ids: list[int | None]) -> list[Row]:
        return [
            Row(line, usage_values_from_text(text), text, digest, card_id)
            for (line, text, digest), card_id in zip(block.usage(), card_ids, strict=True)
            if card_id is not None
        ]

    # -- the careful way ---------------------------------------------------------------------

    def write_rows(self, rows: list[Row]) -> int:
        """Store the rows of a block; returns how many ids were stored already."""
        first, repeats, seen = [], [], set()
        for row in rows:
            (repeats if row.key in seen else first).append(row)
            seen.add(row.key)
        self._conflicts = set()
        stored = self._write(first)
        if repeats:
            stored += self._write(repeats)
        for row in rows:
            if row.line not in self._conflicts:
                self.balances.note(row.card_id, row.at, row.balance)
        return stored

    def _write(self, rows: list[Row]) -> int:
        stored = self._stored_digests([row.key for row in rows])
        new = [row for row in rows if row.key not in stored]
        inserted = self._insert_keys(new)
        if len(inserted) < len(new):  # another import stored some of them meanwhile
            stored.update(self._stored_digests([row.key for row in new if row.key not in inserted]))
        for row in rows:
            if row.key in inserted:
                continue
            if stored[row.key] == row.digest:
                self.unchanged += 1
            else:
                self._conflicts.add(row.line)
                self.rejects.append(UsageReject(row.line, row.key, self._conflict(row.values, row.card_id)))
        records = [self.record(row.values, row.card_id) for row in new if row.key in inserted]
        UsageRecord.objects.bulk_create(records, batch_size=_CHUNK)
        self.imported += len(records)
        return len(rows) - len(new)

    @staticmethod
    def _stored_digests(keys: list[str]) -> dict[str, str]:
        stored = {}
        if connection.vendor == "postgresql":  # one array parameter: no statement with thousands
            with connection.cursor() as cursor:
                # Right after a big load the planner's statistics are stale and it would
                # scan the whole table: a look-up by primary key is always an index scan.
                cursor.execute("SET LOCAL enable_seqscan TO off")
                cursor.execute(
                    f"SELECT center_id, digest FROM {UsageKey._meta.db_table} WHERE center_id = ANY(%s)",  # noqa: S608
                    [keys],
                )
                return dict(cursor.fetchall())
        for chunk in _chunks(keys):
            stored.update(UsageKey.objects.filter(center_id__in=chunk).values_list("center_id", "digest"))
        return stored

    @staticmethod
    def _insert_keys(rows: list[Row]) -> set[str]:
        """``INSERT … ON CONFLICT DO NOTHING RETURNING``: the ids this block stored."""
        inserted: set[str] = set()
        table = connection.ops.quote_name(UsageKey._meta.db_table)
        with connection.cursor() as cursor:
            for chunk in _chunks(rows):
                placeholders = ", ".join(["(%s, %s)"] * len(chunk))
                params = [value for row in chunk for value in (row.key, row.digest)]
                cursor.execute(
                    f"INSERT INTO {table} (center_id, digest) VALUES {placeholders} "  # noqa: S608 (our table)
                    "ON CONFLICT (center_id) DO NOTHING RETURNING center_id",
                    params,
                )
                inserted.update(key for (key,) in cursor.fetchall())
        return inserted

    @staticmethod
    def record(v: Values, card_id: int) -> UsageRecord:
        return UsageRecord(
            center_id=v[0], card_id=card_id, occurred_at=datetime.fromisoformat(v[2]), kind=v[3], amount=v[4],
            balance=v[5], from_station=v[6], to_station=v[7], operator=v[8], merchant=v[9], place=v[10],
            note=v[11], payment_method=v[12], payment_brand=v[13], payment_last4=v[14],
        )

    @staticmethod
    def _conflict(values: Values, card_id: int) -> str:
        key, number = values[0], values[1]
        stored = UsageRecord.objects.filter(card_id=card_id, center_id=key).first()
        if stored is None:
            what = f"icoca_number (stored for another card, this line {number!r})"
        else:
            what = differences("usage", stored_values(stored, number), values)
        return conflict_reason("usage", key, what)


def stored_values(record: UsageRecord, number: str) -> Values:
    """``content.values`` of a stored usage record (of the card numbered ``number``)."""
    return (
        record.center_id, number, utc_text(record.occurred_at), record.kind, record.amount, record.balance,
        record.from_station, record.to_station, record.operator, record.merchant, record.place, record.note,
        record.payment_method, record.payment_brand, record.payment_last4,
    )
