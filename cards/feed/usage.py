"""Applying ``usage`` lines, in batches, while the file is read (cards are already applied).

``UsageWriter`` is the portable way (SQLite, and PostgreSQL when a batch meets ids already
stored): per batch, in one transaction, it resolves the cards, looks the center's ids up in
``UsageKey``, inserts the new keys with ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (so a
concurrent import cannot make it store an id twice) and bulk-inserts their records. A line
whose id is stored already is "unchanged" when its digest is the same and a conflict when
not; a line whose id appeared earlier in the same batch is checked after that batch, against
the store, like a replay. ``cards/feed/postgres.py`` adds the COPY fast path.

Card balances: the newest usage line per card (by ``at``, then file order) is collected over
the import, counting unchanged lines too, and written at the end (and whenever many cards
wait), only where it is newer than the card's ``balance_at``. So a replay after a failure
repairs a balance the failure left behind, and one card gets one update per import, not one
per batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q

from cards.models import Card, UsageKey, UsageRecord

from .content import Values, conflict_reason, differences, digest, utc_text

BATCH = 2000
_CHUNK = 500


@dataclass(frozen=True)
class UsageReject:
    line: int
    key: str
    reason: str  # "" when ``unknown_card`` is set: the importer says why it is unknown
    unknown_card: str = ""


@dataclass(frozen=True)
class Row:
    line: int
    values: Values
    digest: str

    @property
    def key(self) -> str:
        return self.values[0]

    @property
    def number(self) -> str:
        return self.values[1]


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CardIds:
    """ICOCA number → card id, for the cards of one import (bounded)."""

    def __init__(self, limit: int = 500_000) -> None:
        self.limit, self.ids = limit, {}

    def resolve(self, numbers: Iterable[str]) -> dict[str, int | None]:
        missing = [n for n in set(numbers) if n not in self.ids]
        if len(self.ids) + len(missing) > self.limit:
            self.ids.clear()
            missing = list(set(numbers))
        for chunk in _chunks(missing):
            self.ids.update(dict.fromkeys(chunk))
            self.ids.update(Card.objects.filter(icoca_number__in=chunk).values_list("icoca_number", "id"))
        return self.ids


class Balances:
    """The newest usage line per card seen in this import: ``(at, line, balance)``."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit, self.latest = limit, {}

    def note(self, card_id: int, at: str, line: int, balance: int) -> None:
        seen = self.latest.get(card_id)
        if seen is None or (at, line) > seen[:2]:
            self.latest[card_id] = (at, line, balance)
            if len(self.latest) >= self.limit:
                self.write()

    def write(self) -> None:
        items = sorted(self.latest.items())
        self.latest = {}
        for chunk in _chunks(items):
            self._update(chunk)

    @staticmethod
    @transaction.atomic
    def _update(items: Sequence[tuple[int, tuple[str, int, int]]]) -> None:
        for card_id, (at, _, balance) in items:
            moment = datetime.fromisoformat(at)
            Card.objects.filter(Q(balance_at__isnull=True) | Q(balance_at__lt=moment), pk=card_id).update(
                balance=balance, balance_at=moment
            )


class UsageWriter:
    """Applies usage lines batch by batch in the calling thread."""

    batch_size = BATCH

    def __init__(self) -> None:
        self.cards, self.balances = CardIds(), Balances()
        self.imported = self.unchanged = 0
        self._rows: list[tuple[int, Values]] = []
        self._rejects: deque[UsageReject] = deque()
        self._conflicts: set[int] = set()  # lines of the current batch rejected as conflicts

    # -- the interface the importer uses ---------------------------------------------------

    def add(self, line: int, values: Values) -> None:
        self._rows.append((line, values))
        if len(self._rows) >= self.batch_size:
            self.submit(self._rows)
            self._rows = []

    def submit(self, rows: list[tuple[int, Values]]) -> None:
        self.apply(rows)

    def take_rejects(self) -> list[UsageReject]:
        taken = []
        while self._rejects:
            taken.append(self._rejects.popleft())
        return taken

    def finish(self) -> None:
        if self._rows:
            self.submit(self._rows)
            self._rows = []
        self.balances.write()

    def abandon(self) -> None:
        """After an error elsewhere: stop (what was written stays written)."""

    # -- one batch ---------------------------------------------------------------------------

    def apply(self, lines: list[tuple[int, Values]]) -> None:
        rows = [Row(line, values, digest(values)) for line, values in lines]
        card_ids = self.cards.resolve(row.number for row in rows)
        known, first, repeats, seen = [], [], [], set()
        for row in rows:
            if card_ids.get(row.number) is None:
                self._rejects.append(UsageReject(row.line, row.key, "", unknown_card=row.number))
                continue
            known.append(row)
            (repeats if row.key in seen else first).append(row)
            seen.add(row.key)
        self._conflicts: set[int] = set()
        with transaction.atomic():
            self.write(first, card_ids)
            if repeats:
                self.write_careful(repeats, card_ids)
        for row in known:
            if row.line not in self._conflicts:
                self.balances.note(card_ids[row.number], row.values[2], row.line, row.values[5])

    def write(self, rows: list[Row], card_ids: dict[str, int | None]) -> None:
        self.write_careful(rows, card_ids)

    def write_careful(self, rows: list[Row], card_ids: dict[str, int | None]) -> int:
        """Insert what is new, count what is unchanged, reject conflicts. Returns how many
        ids were stored already."""
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
                self._rejects.append(UsageReject(row.line, row.key, self._conflict(row, card_ids[row.number])))
        records = [self.record(row, card_ids[row.number]) for row in new if row.key in inserted]
        UsageRecord.objects.bulk_create(records, batch_size=_CHUNK)
        self.imported += len(records)
        return len(rows) - len(new)

    @staticmethod
    def _stored_digests(keys: list[str]) -> dict[str, str]:
        stored = {}
        for chunk in _chunks(keys):
            stored.update(UsageKey.objects.filter(center_id__in=chunk).values_list("center_id", "digest"))
        return stored

    @staticmethod
    def _insert_keys(rows: list[Row]) -> set[str]:
        """``INSERT … ON CONFLICT DO NOTHING RETURNING``: the ids this batch stored."""
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
    def record(row: Row, card_id: int) -> UsageRecord:
        v = row.values
        return UsageRecord(
            center_id=v[0], card_id=card_id, occurred_at=datetime.fromisoformat(v[2]), kind=v[3], amount=v[4],
            balance=v[5], from_station=v[6], to_station=v[7], operator=v[8], merchant=v[9], place=v[10],
            note=v[11], payment_method=v[12], payment_brand=v[13], payment_last4=v[14],
        )

    @staticmethod
    def _conflict(row: Row, card_id: int) -> str:
        stored = UsageRecord.objects.filter(card_id=card_id, center_id=row.key).first()
        if stored is None:
            what = f"icoca_number (stored for another card, this line {row.number!r})"
        else:
            what = differences("usage", stored_values(stored, row.number), row.values)
        return conflict_reason("usage", row.key, what)


def stored_values(record: UsageRecord, number: str) -> Values:
    """``content.values`` of a stored usage record (of the card numbered ``number``)."""
    return (
        record.center_id, number, utc_text(record.occurred_at), record.kind, record.amount, record.balance,
        record.from_station, record.to_station, record.operator, record.merchant, record.place, record.note,
        record.payment_method, record.payment_brand, record.payment_last4,
    )
