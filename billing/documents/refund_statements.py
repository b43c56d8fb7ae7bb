"""払いもどし計算書: every input and step of a refund, as the statement shows it
(DOMAIN.md "Refunds").

The figures come from the refund as the card center reported it and are
computed again here with the same rules (cards/refunds.py); a refund whose
stored figures do not match the rules is refused rather than printed, so a
statement never contradicts its own arithmetic. That check runs once, when the
document is composed. The content is plain data, kept on the document as a snapshot
(``to_json``, content format ``"v": 2``) holding every figure the statement prints (the
months used, each fare line, the fare deducted, the pass part, whether the pass was
refundable), so a reprint reads them and a later change of the refund rules neither
changes nor refuses an old statement. ``RefundStatementContent.from_json`` reads every
format ever stored. Pure Python: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from billing.documents.receipts import JAPAN, payment_label
from cards.refunds import PassTerms, compute_refund, used_fare_lines

CONTENT_VERSION = 2


class InconsistentRefund(ValueError):
    """The stored refund does not add up by the refund rules."""


@dataclass(frozen=True)
class RefundPass:
    """The refunded commuter pass."""

    from_station: str
    to_station: str
    via: str
    pass_kind: str
    months: int
    valid_from: date
    valid_until: date
    price: int
    fares: Mapping[int, int]


@dataclass(frozen=True)
class FareLine:
    """``3か月定期運賃 36,960円 × 1``."""

    pass_months: int
    count: int
    fare: int

    @property
    def amount(self) -> int:
        return self.count * self.fare


@dataclass(frozen=True)
class RefundStatementContent:
    refunded_at: datetime
    card_nickname: str
    card_number: str  # masked
    balance: int
    fee: int
    total: int
    destination_method: str  # card | bank
    destination_brand: str = ""
    destination_last4: str = ""
    commuter_pass: RefundPass | None = None
    months_used: int = 0
    fare_deducted: int = 0
    pass_part: int = 0
    pass_refundable: bool | None = None
    pass_reason: str | None = None  # why nothing is refunded for the pass (Japanese, cards/refunds.py)
    fare_lines: tuple[FareLine, ...] = field(default=())

    @property
    def refund_date(self) -> date:
        return self.refunded_at.astimezone(JAPAN).date()

    @property
    def before_fee(self) -> int:
        return self.balance + self.pass_part

    @property
    def destination_label(self) -> str:
        if self.destination_method == "card":
            return payment_label(self.destination_brand, self.destination_last4)
        return ""

    @property
    def pass_reason_code(self) -> str:
        """``expired`` or ``last_month`` when the pass part is 0 by the rules."""
        if self.commuter_pass is None or self.pass_refundable is not False:
            return ""
        return "expired" if self.refund_date > self.commuter_pass.valid_until else "last_month"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "refunded_at": self.refunded_at.isoformat(),
            "card_nickname": self.card_nickname,
            "card_number": self.card_number,
            "balance": self.balance,
            "fee": self.fee,
            "total": self.total,
            "destination_method": self.destination_method,
            "destination_brand": self.destination_brand,
            "destination_last4": self.destination_last4,
            "months_used": self.months_used,
            "fare_deducted": self.fare_deducted,
            "pass_part": self.pass_part,
            "commuter_pass": None,
            "v": CONTENT_VERSION,
            "before_fee": self.before_fee,
            "pass_refundable": self.pass_refundable,
            "pass_reason": self.pass_reason_code or None,
            "fare_lines": [
                {"pass_months": line.pass_months, "count": line.count, "fare": line.fare, "amount": line.amount}
                for line in self.fare_lines
            ],
        }
        if self.commuter_pass is not None:
            p = self.commuter_pass
            data["commuter_pass"] = {
                "from_station": p.from_station,
                "to_station": p.to_station,
                "via": p.via,
                "pass_kind": p.pass_kind,
                "months": p.months,
                "valid_from": p.valid_from.isoformat(),
                "valid_until": p.valid_until.isoformat(),
                "price": p.price,
                "fares": {str(k): v for k, v in p.fares.items()},
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RefundStatementContent:
        """Read a snapshot back, in any format ever stored, without the refund rules."""
        version = data.get("v", 1)
        if version not in (1, CONTENT_VERSION):
            raise ValueError(f"unknown refund statement content version {version!r}")
        stored = data.get("commuter_pass")
        commuter_pass = None
        if stored:
            commuter_pass = RefundPass(
                **{
                    **stored,
                    "valid_from": date.fromisoformat(stored["valid_from"]),
                    "valid_until": date.fromisoformat(stored["valid_until"]),
                    "fares": {int(k): v for k, v in stored["fares"].items()},
                }
            )
        if version == 1:
            refundable, fare_lines = _v1_pass_figures(data, commuter_pass)
        else:
            refundable = data["pass_refundable"]
            fare_lines = tuple(FareLine(line["pass_months"], line["count"], line["fare"]) for line in data["fare_lines"])
        content = cls(
            refunded_at=datetime.fromisoformat(data["refunded_at"]),
            card_nickname=data["card_nickname"],
            card_number=data["card_number"],
            balance=data["balance"],
            fee=data["fee"],
            total=data["total"],
            destination_method=data["destination_method"],
            destination_brand=data["destination_brand"],
            destination_last4=data["destination_last4"],
            commuter_pass=commuter_pass,
            months_used=data["months_used"],
            fare_deducted=data["fare_deducted"],
            pass_part=data["pass_part"],
            pass_refundable=refundable,
            fare_lines=fare_lines,
        )
        if version == CONTENT_VERSION and content.before_fee != data["before_fee"]:
            raise ValueError("the stored statement does not add up: balance + pass part != before fee")
        return content


def _v1_pass_figures(
    data: Mapping[str, object], commuter_pass: RefundPass | None
) -> tuple[bool | None, tuple[FareLine, ...]]:
    """What a content v1 statement (which stored the months used, the fare deducted and
    the pass part, not the steps) printed: the pass was refundable when something was
    refunded or deducted for it, and the months used were priced as v1 printed them
    (3-month fare for each full three, 1-month fare for the rest)."""
    if commuter_pass is None:
        return None, ()
    refundable = bool(data["pass_part"] or data["fare_deducted"])
    if not (refundable and data["fare_deducted"]):
        return refundable, ()
    threes, ones = divmod(data["months_used"], 3)
    lines = []
    if threes:
        lines.append(FareLine(3, threes, commuter_pass.fares[3]))
    if ones:
        lines.append(FareLine(1, ones, commuter_pass.fares[1]))
    return refundable, tuple(lines)


def refund_statement(
    *,
    refunded_at: datetime,
    card_nickname: str,
    card_number: str,
    balance: int,
    fee: int,
    total: int,
    destination_method: str,
    destination_brand: str = "",
    destination_last4: str = "",
    commuter_pass: RefundPass | None = None,
    months_used: int = 0,
    fare_deducted: int = 0,
    pass_part: int = 0,
) -> RefundStatementContent:
    """The statement of a stored refund, checked against the refund rules.

    Raises :class:`InconsistentRefund` when the stored months used, fare deducted,
    pass part or total differ from what the rules give for the refund's Japan date.
    """
    if refunded_at.tzinfo is None or refunded_at.utcoffset() is None:
        raise ValueError("refunded_at must be aware")
    refund_date = refunded_at.astimezone(JAPAN).date()
    terms = None
    if commuter_pass is not None:
        terms = PassTerms(
            valid_from=commuter_pass.valid_from,
            valid_until=commuter_pass.valid_until,
            months=commuter_pass.months,
            price=commuter_pass.price,
            fares=commuter_pass.fares,
        )
    expected = compute_refund(balance=balance, terms=terms, refund_date=refund_date, fee=fee)
    stored = {"pass_part": pass_part, "total": total}
    wanted = {"pass_part": expected.pass_part, "total": expected.total}
    if terms is not None:
        stored |= {"months_used": months_used, "fare_deducted": fare_deducted}
        wanted |= {"months_used": expected.months_used, "fare_deducted": expected.fare_deducted}
    wrong = {name: (stored[name], wanted[name]) for name in stored if stored[name] != wanted[name]}
    if wrong:
        details = ", ".join(f"{name} {got} (rules: {should})" for name, (got, should) in wrong.items())
        raise InconsistentRefund(f"the refund does not add up by the refund rules: {details}")
    fare_lines: tuple[FareLine, ...] = ()
    if terms is not None and expected.pass_refundable and expected.fare_deducted:
        fare_lines = tuple(FareLine(m, n, fare) for m, n, fare in used_fare_lines(expected.months_used, terms.fares))
    return RefundStatementContent(
        refunded_at=refunded_at,
        card_nickname=card_nickname,
        card_number=card_number,
        balance=balance,
        fee=fee,
        total=total,
        destination_method=destination_method,
        destination_brand=destination_brand,
        destination_last4=destination_last4,
        commuter_pass=commuter_pass,
        months_used=expected.months_used or 0,
        fare_deducted=expected.fare_deducted or 0,
        pass_part=expected.pass_part,
        pass_refundable=expected.pass_refundable,
        pass_reason=expected.pass_reason,
        fare_lines=fare_lines,
    )
