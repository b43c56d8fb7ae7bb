"""The PostgreSQL fast path for usage lines (ARCHITECTURE.md "Feed").

Per parsed block of 5,000 lines, in one transaction:

1. ``COPY`` the new ids and digests straight into ``cards_usagekey``: its primary key is the
   conflict check. Then ``COPY`` the records into the partitioned ``cards_usagerecord``.
   Both run in a savepoint. The parsing processes have written the COPY text already.
2. When an id is stored already (a replay, an overlapping file, a concurrent import, the
   same id twice in the block), the COPY fails on the key and the savepoint is rolled back;
   the block then takes the careful way (``UsageWriter.write_rows``: look the ids up,
   ``INSERT … ON CONFLICT DO NOTHING RETURNING``, compare digests), and so do the following
   blocks until one meets no stored id. A replayed file costs one failed COPY, then index
   look-ups only.

So a fresh feed goes in at COPY speed with no staging table to write and read again (a
staging table plus ``INSERT … SELECT … ON CONFLICT`` measured about 60 % slower here), and
every line still gets its outcome: imported, unchanged or a conflict with its reason.
Balances go in one ``UPDATE … FROM unnest(…)`` per chunk of cards.
"""

from __future__ import annotations

from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import errors

from cards.models import UsageKey, UsageRecord

from .blocks import Block
from .usage import Balances, UsageWriter

_COLUMNS = (
    "card_id, center_id, occurred_at, kind, amount, balance, from_station, to_station, operator, merchant, "
    "place, note, payment_method, payment_brand, payment_last4"
)


class CopyBalances(Balances):
    @staticmethod
    @transaction.atomic
    def _update(items) -> None:
        ids = [card_id for card_id, _ in items]
        moments = [datetime.fromisoformat(at) for _, (at, _, _) in items]
        balances = [balance for _, (_, _, balance) in items]
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(
                "UPDATE cards_card AS c SET balance = v.balance, balance_at = v.at "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::integer[]) AS v(id, at, balance) "
                "WHERE c.id = v.id AND (c.balance_at IS NULL OR c.balance_at < v.at)",
                [ids, moments, balances],
            )


class CopyUsageWriter(UsageWriter):
    def __init__(self) -> None:
        super().__init__()
        self.balances = CopyBalances()
        self.careful = False  # the last block met stored ids

    def begin(self) -> None:
        # The blocks need not wait for their commits to reach the disk one by one: the
        # import ends with the synchronous commit of its FeedImport row, which makes every
        # earlier commit durable too (the WAL is written in order). A crash before that
        # loses blocks of an import that never reported, and a replay restores them.
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def write(self, block: Block, card_ids: list[int | None]) -> None:
        if not self.careful:
            try:
                with transaction.atomic():
                    written = self._copy(block, card_ids)
            except errors.UniqueViolation:
                self.careful = True
            else:
                self.imported += written
                ids, note = self.cards.ids, self.balances.note
                for number, (at, line, balance) in block.latest.items():
                    card_id = ids.get(number)
                    if card_id is not None:
                        note(card_id, at, line, balance)
                return
        self.careful = self.write_rows(self.rows(block, card_ids)) > 0

    @staticmethod
    def _copy(block: Block, card_ids: list[int | None]) -> int:
        """COPY the keys, then the records; returns how many."""
        keys, rests, digests = block.keys, block.rests, block.digests
        if None in card_ids:
            known = [i for i, card_id in enumerate(card_ids) if card_id is not None]
            keys, rests, digests = [keys[i] for i in known], [rests[i] for i in known], [digests[i] for i in known]
            card_ids = [card_ids[i] for i in known]
        key_text = "".join([f"{key}\t{digest}\n" for key, digest in zip(keys, digests, strict=True)])
        record_text = "".join(
            [f"{card_id}\t{key}\t{rest}\n" for card_id, key, rest in zip(card_ids, keys, rests, strict=True)]
        )
        raw = connections[DEFAULT_DB_ALIAS].connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {UsageKey._meta.db_table} (center_id, digest) FROM STDIN") as copy:
                copy.write(key_text.encode("utf-8"))
            with cursor.copy(f"COPY {UsageRecord._meta.db_table} ({_COLUMNS}) FROM STDIN") as copy:
                copy.write(record_text.encode("utf-8"))
        return len(keys)
