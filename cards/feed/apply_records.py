"""Applying ``pass``, ``refund`` and ``points`` lines, after the cards and the usage lines,
in file order, 1000 lines per transaction.

Each record is new (imported), a replay (same id and digest: unchanged) or a conflict (same
id, another digest: rejected, naming the fields that differ). A record must refer to what
the store knows by then: a ``pass`` and a ``refund`` to a card, a ``refund`` to a pass (of
the same card or of a card it replaces after a reissue), a ``points`` line to a member.
A refund's total is checked against the refund rules (cards/refunds.py) before it is
stored, with the months used, the fare deducted and the pass part the portal computed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models, transaction

from accounts.models import Member
from cards.models import Card, CommuterPass, PointsEntry, Refund
from cards.refunds import PassTerms, compute_refund
from cards.window import JAPAN

from .content import Values, conflict_reason, differences, digest, utc_text, values
from .records import PassRecord, PointsRecord, Record, RefundRecord
from .scratch import Scratch

BATCH = 1000


def _pass_values(stored: CommuterPass) -> Values:
    return (
        stored.center_id, stored.card.icoca_number, stored.kind, stored.from_station, stored.to_station, stored.via,
        stored.valid_from.isoformat(), stored.valid_until.isoformat(), stored.months, stored.price,
        stored.fare_1_month, stored.fare_3_months, stored.fare_6_months, utc_text(stored.paid_at),
        stored.payment_method, stored.payment_brand, stored.payment_last4,
    )


def _refund_values(stored: Refund) -> Values:
    return (
        stored.center_id, stored.card.icoca_number, utc_text(stored.refunded_at), stored.balance,
        stored.commuter_pass.center_id if stored.commuter_pass_id else "", stored.fee, stored.total,
        stored.destination_method, stored.destination_brand, stored.destination_last4,
    )


def _points_values(stored: PointsEntry) -> Values:
    return (
        stored.center_id, stored.member.wester_id, utc_text(stored.occurred_at), stored.kind, stored.points,
        stored.category,
    )


class RecordApplier:
    """The shared steps; a subclass per type says how to look up, check and build."""

    record_type = ""
    model: type[models.Model] = models.Model
    related: tuple[str, ...] = ()
    stored_values: Callable[[models.Model], Values]

    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        self.imported = self.unchanged = 0

    def run(self) -> None:
        for batch in self.scratch.records(self.record_type, batch=BATCH):
            self._apply(batch)

    @transaction.atomic
    def _apply(self, batch: list[tuple[int, Record]]) -> None:
        self.prepare([record for _, record in batch])
        stored = {
            row.center_id: row
            for row in self.model.objects.filter(center_id__in={r.id for _, r in batch}).select_related(*self.related)
        }
        new: dict[str, tuple[Values, str]] = {}
        objects = []
        for line, record in batch:
            content = values(record)
            signature = digest(content)
            problem = self.missing(record)
            if problem:
                self.reject(line, record, problem)
            elif record.id in stored:
                self._seen(line, record, signature, content, stored[record.id].digest, type(self).stored_values(stored[record.id]))
            elif record.id in new:
                self._seen(line, record, signature, content, new[record.id][1], new[record.id][0])
            else:
                built = self.build(line, record, signature)
                if built is not None:
                    new[record.id] = (content, signature)
                    objects.append(built)
        self.model.objects.bulk_create(objects)
        self.imported += len(objects)

    def _seen(self, line: int, record: Record, signature: str, content: Values, old: str, old_content: Values) -> None:
        if signature == old:
            self.unchanged += 1
        else:
            self.reject(line, record, conflict_reason(self.record_type, record.id, differences(self.record_type, old_content, content)))

    def reject(self, line: int, record: Record, reason: str) -> None:
        self.scratch.reject(line, reason, record_type=self.record_type, key=record.key)

    def unknown_card(self, number: str) -> str:
        return unknown_card_reason(self.scratch, number)

    # -- per type ------------------------------------------------------------------------

    def prepare(self, records: list[Record]) -> None:
        """Look up what the batch refers to."""

    def missing(self, record: Record) -> str:
        """Why the record refers to something unknown, or ""."""
        return ""

    def build(self, line: int, record: Record, signature: str) -> models.Model | None:
        raise NotImplementedError


def unknown_card_reason(scratch: Scratch, number: str) -> str:
    line = scratch.first_line("card", number)
    if line is not None:
        return (
            f"unknown card: card {number} is in this file (line {line}) but its card line was rejected; "
            "fix that line, then import this one again"
        )
    return (
        f"unknown card: card {number} is neither in the store nor in this file; "
        "import its card line first, then this line again"
    )


class PassApplier(RecordApplier):
    record_type, model, related = "pass", CommuterPass, ("card",)
    stored_values = staticmethod(_pass_values)

    def prepare(self, records: list[PassRecord]) -> None:
        numbers = {r.icoca_number for r in records}
        self.cards = dict(Card.objects.filter(icoca_number__in=numbers).values_list("icoca_number", "id"))

    def missing(self, record: PassRecord) -> str:
        return "" if record.icoca_number in self.cards else self.unknown_card(record.icoca_number)

    def build(self, line: int, r: PassRecord, signature: str) -> CommuterPass:
        return CommuterPass(
            center_id=r.id, card_id=self.cards[r.icoca_number], kind=r.kind, from_station=r.from_station,
            to_station=r.to_station, via=r.via or "", valid_from=r.valid_from, valid_until=r.valid_until,
            months=r.months, price=r.price, fare_1_month=r.fares.one_month, fare_3_months=r.fares.three_months,
            fare_6_months=r.fares.six_months, paid_at=r.paid_at, payment_method=r.payment.method,
            payment_brand=r.payment.brand or "", payment_last4=r.payment.last4 or "", digest=signature,
        )


class RefundApplier(RecordApplier):
    record_type, model, related = "refund", Refund, ("card", "commuter_pass")
    stored_values = staticmethod(_refund_values)

    def prepare(self, records: list[RefundRecord]) -> None:
        numbers = {r.icoca_number for r in records}
        self.cards = {c.icoca_number: c for c in Card.objects.filter(icoca_number__in=numbers)}
        pass_ids = {r.pass_id for r in records if r.pass_id}
        self.passes = {p.center_id: p for p in CommuterPass.objects.filter(center_id__in=pass_ids)}

    def missing(self, record: RefundRecord) -> str:
        card = self.cards.get(record.icoca_number)
        if card is None:
            return self.unknown_card(record.icoca_number)
        if record.pass_id is None:
            return ""
        bought = self.passes.get(record.pass_id)
        if bought is None:
            line = self.scratch.first_line("pass", record.pass_id)
            if line is not None:
                return (
                    f"unknown pass: pass {record.pass_id!r} is in this file (line {line}) but its line was "
                    "rejected; fix that line, then import this one again"
                )
            return (
                f"unknown pass: pass {record.pass_id!r} is neither in the store nor in this file; "
                "import its pass line first, then this line again"
            )
        if bought.card_id not in _chain(card):
            return f"pass {record.pass_id!r} belongs to another card than {record.icoca_number}"
        return ""

    def build(self, line: int, r: RefundRecord, signature: str) -> Refund | None:
        bought = self.passes.get(r.pass_id) if r.pass_id else None
        terms = None
        if bought is not None:
            terms = PassTerms(
                valid_from=bought.valid_from, valid_until=bought.valid_until, months=bought.months,
                price=bought.price, fares=bought.fares,
            )
        refund_date = r.at.astimezone(JAPAN).date()
        result = compute_refund(balance=r.balance, terms=terms, refund_date=refund_date, fee=r.fee)
        if result.total != r.total:
            self.reject(line, r, _does_not_add_up(r, result))
            return None
        return Refund(
            center_id=r.id, card=self.cards[r.icoca_number], refunded_at=r.at, balance=r.balance,
            commuter_pass=bought, months_used=result.months_used or 0, fare_deducted=result.fare_deducted or 0,
            pass_part=result.pass_part, fee=r.fee, total=r.total, destination_method=r.destination.method,
            destination_brand=r.destination.brand or "", destination_last4=r.destination.last4 or "", digest=signature,
        )


def _chain(card: Card) -> set[int]:
    """The card and the cards it replaces, back to the first."""
    ids, current = {card.id}, card.replaces_id
    while current is not None and current not in ids:
        ids.add(current)
        current = Card.objects.filter(pk=current).values_list("replaces_id", flat=True).first()
    return ids


def _does_not_add_up(r: RefundRecord, result) -> str:
    reason = (
        f"total {r.total} does not add up: expected {result.total} = max(0, balance {r.balance} "
        f"+ pass part {result.pass_part} - fee {r.fee})"
    )
    if result.price is None:
        return reason + " (no pass refunded)"
    day = result.refund_date.isoformat()
    if not result.pass_refundable:
        why = "the pass had ended" if result.refund_date > result.valid_until else "less than a whole month was left"
        return reason + f"; no pass part: on {day} (Japan date of at) {why}"
    if result.months_used == 0:
        return reason + f"; pass part = price {result.price} (refunded on {day}, before the pass started)"
    return reason + (
        f"; pass part = price {result.price} - fare for {result.months_used} month(s) used {result.fare_deducted}, "
        f"floored at 0 (pass {result.valid_from.isoformat()} to {result.valid_until.isoformat()}, "
        f"{result.months} months; refunded on {day}, Japan date of at)"
    )


class PointsApplier(RecordApplier):
    record_type, model, related = "points", PointsEntry, ("member",)
    stored_values = staticmethod(_points_values)

    def prepare(self, records: list[PointsRecord]) -> None:
        wester_ids = {r.wester_id for r in records}
        self.members = dict(Member.objects.filter(wester_id__in=wester_ids).values_list("wester_id", "id"))

    def missing(self, record: PointsRecord) -> str:
        if record.wester_id in self.members:
            return ""
        line = self.scratch.first_card_line_of(record.wester_id)
        if line is not None:
            return (
                f"unknown member: wester_id {record.wester_id!r} is in this file only on card lines that were "
                f"rejected (line {line}); fix them, then import this line again"
            )
        return (
            f"unknown member: no member with wester_id {record.wester_id!r} in the store or in this file "
            "(a member becomes known through a card line); import it again once their card has arrived"
        )

    def build(self, line: int, r: PointsRecord, signature: str) -> PointsEntry:
        return PointsEntry(
            center_id=r.id, member_id=self.members[r.wester_id], occurred_at=r.at, kind=r.kind, points=r.points,
            category=r.category or "", digest=signature,
        )

