"""利用明細書（領収書）: what a receipt lists, how each line reads, and the tax
summary (DOMAIN.md "Charges and receipts").

* A receipt lists what the member paid with a registered payment card: card charges
  (IC card stored value, outside consumption tax: 不課税) and commuter passes paid by
  card (10 % consumption tax included). Cash charges and point charges are never on it.
* Per tax rate the document shows the total and the tax included in it, the tax
  rounded down ONCE per rate per document, never per line:
  ``tax = floor(total × rate / (100 + rate))``.

The lines are plain data, so a document keeps them as a snapshot (``to_json``) taken
when it is issued and renders them again unchanged. The snapshot holds every figure the
receipt prints (content format ``"v": 2``: each line with its tax rate, the tax groups
with their totals and tax, the total), so a reprint reads them and never applies today's
tax rate; ``ReceiptContent.from_json`` reads every format ever stored (v1 held the lines
and the total only, all printed at 10 %). Pure Python: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from cards.masking import payment_card_label
from cards.window import JAPAN
from portal.money import check_money

CHARGE = "charge"
COMMUTER_PASS = "pass"  # noqa: S105 (a commuter pass, not a password)
KINDS = (CHARGE, COMMUTER_PASS)

#: Commuter passes: consumption tax 10 %, included in the price (for documents composed now).
PASS_TAX_RATE = 10
#: The rate every content v1 receipt printed for its passes (v1 did not store it).
V1_PASS_TAX_RATE = 10
CONTENT_VERSION = 2
_RATE_FROM_KIND = -1  # ReceiptLine.tax_rate not given: the rate of the line's kind today

BRAND_NAMES = {"JCB": "JCB", "VISA": "VISA", "MASTERCARD": "Mastercard", "AMEX": "American Express"}


def on_receipt(*, kind: str, payment_method: str) -> bool:
    """Whether a payment belongs on a receipt: a charge (``kind`` "charge", not
    "point_charge") or a commuter pass (``kind`` "pass"), paid by card."""
    return kind in KINDS and payment_method == "card"


@dataclass(frozen=True)
class ReceiptLine:
    """One payment on a receipt. ``at`` is aware; the pass fields are set for
    passes only."""

    kind: str
    at: datetime
    card_nickname: str
    card_number: str  # masked: JW•••••••••••0001
    payment_brand: str
    payment_last4: str
    amount: int
    from_station: str = ""
    to_station: str = ""
    pass_kind: str = ""
    months: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    #: 10 for a pass (as composed today); ``None`` for a charge (不課税, outside consumption
    #: tax). Stored with the line, so a document keeps the rate it was issued with.
    tax_rate: int | None = _RATE_FROM_KIND

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.tax_rate == _RATE_FROM_KIND:
            object.__setattr__(self, "tax_rate", PASS_TAX_RATE if self.kind == COMMUTER_PASS else None)
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("at must be an aware datetime")
        if check_money("amount", self.amount) <= 0:
            raise ValueError(f"amount must be > 0, got {self.amount}")
        if self.kind == COMMUTER_PASS and not (
            self.from_station and self.to_station and self.months and self.valid_from and self.valid_until
        ):
            raise ValueError("a pass line needs its section, months and valid range")

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "card_nickname": self.card_nickname,
            "card_number": self.card_number,
            "payment_brand": self.payment_brand,
            "payment_last4": self.payment_last4,
            "amount": self.amount,
            "tax_rate": self.tax_rate,
        }
        if self.kind == COMMUTER_PASS:
            data |= {
                "from_station": self.from_station,
                "to_station": self.to_station,
                "pass_kind": self.pass_kind,
                "months": self.months,
                "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat(),
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object], *, version: int = CONTENT_VERSION) -> ReceiptLine:
        values = dict(data)
        if version == 1:  # v1 lines held no rate: a pass was printed at 10 %, a charge 不課税
            values["tax_rate"] = V1_PASS_TAX_RATE if values["kind"] == COMMUTER_PASS else None
        values["at"] = datetime.fromisoformat(values["at"])
        for key in ("valid_from", "valid_until"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


@dataclass(frozen=True)
class TaxGroup:
    """The total of one tax rate on a document and the tax it includes
    (``rate`` and ``tax`` are ``None`` for 不課税)."""

    rate: int | None
    total: int
    tax: int | None

    @property
    def taxable(self) -> bool:
        return self.rate is not None


def tax_included(total: int, rate: int) -> int:
    """The consumption tax included in a tax-inclusive ``total``, rounded down:
    ``floor(total × rate / (100 + rate))``. 36,960 at 10 % → 3,360; 12,970 → 1,179."""
    check_money("total", total)
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise ValueError(f"rate must be a positive int (percent), got {rate!r}")
    return total * rate // (100 + rate)


def tax_summary(lines: Iterable[ReceiptLine]) -> tuple[TaxGroup, ...]:
    """Per tax rate, the total and the tax, rounded once per rate for the whole
    document: the taxed rates first (highest first), then 不課税. Rates without
    lines are left out."""
    totals: dict[int | None, int] = {}
    for line in lines:
        totals[line.tax_rate] = totals.get(line.tax_rate, 0) + line.amount
    rates = sorted((r for r in totals if r is not None), reverse=True)
    groups = [TaxGroup(rate=r, total=totals[r], tax=tax_included(totals[r], r)) for r in rates]
    if None in totals:
        groups.append(TaxGroup(rate=None, total=totals[None], tax=None))
    return tuple(groups)


def sort_lines(lines: Iterable[ReceiptLine]) -> list[ReceiptLine]:
    """Oldest first; at the same instant charges before passes."""
    return sorted(lines, key=lambda line: (line.at, KINDS.index(line.kind)))


@dataclass(frozen=True)
class ReceiptContent:
    """Everything a receipt shows that depends on its lines."""

    lines: tuple[ReceiptLine, ...]
    tax_groups: tuple[TaxGroup, ...]
    total: int

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def has_taxable(self) -> bool:
        return any(group.taxable for group in self.tax_groups)

    def to_json(self) -> dict[str, object]:
        return {
            "v": CONTENT_VERSION,
            "lines": [line.to_json() for line in self.lines],
            "tax_groups": [{"rate": g.rate, "total": g.total, "tax": g.tax} for g in self.tax_groups],
            "total": self.total,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ReceiptContent:
        """The content a document stored, in any format ever stored: read, never recomputed
        with today's rules (v1's tax groups are worked out with the rate v1 printed)."""
        version = data.get("v", 1)
        if version == 1:
            return upgrade_v1(data)
        if version != CONTENT_VERSION:
            raise ValueError(f"unknown receipt content version {version!r}")
        content = cls(
            lines=tuple(ReceiptLine.from_json(item) for item in data["lines"]),
            tax_groups=tuple(TaxGroup(rate=g["rate"], total=g["total"], tax=g["tax"]) for g in data["tax_groups"]),
            total=data["total"],
        )
        sums = {sum(line.amount for line in content.lines), sum(group.total for group in content.tax_groups)}
        if sums != {content.total}:  # a damaged snapshot, not a rule: the stored figures must agree
            raise ValueError(f"the stored total {content.total} does not match its lines and tax groups ({sums})")
        return content


def upgrade_v1(data: Mapping[str, object]) -> ReceiptContent:
    """A content v1 receipt (lines and total) with the figures it printed: its passes at
    10 %, the tax per rate rounded down once (the rule v1 documents were printed by)."""
    content = compose(ReceiptLine.from_json(item, version=1) for item in data["lines"])
    if content.total != data["total"]:
        raise ValueError(f"the stored total {data['total']} does not match its lines ({content.total})")
    return content


def compose(lines: Iterable[ReceiptLine]) -> ReceiptContent:
    ordered = tuple(sort_lines(lines))
    return ReceiptContent(lines=ordered, tax_groups=tax_summary(ordered), total=sum(line.amount for line in ordered))


# --- How figures read (the words around them: billing/documents/wording.py) -----------


def japan_time(at: datetime) -> str:
    """``2026/11/03 08:15`` (Japan time)."""
    return at.astimezone(JAPAN).strftime("%Y/%m/%d %H:%M")


def slash_date(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def payment_label(brand: str, last4: str) -> str:
    """``VISA ••••4242``."""
    return payment_card_label(BRAND_NAMES.get(brand, brand), last4)


def card_label(nickname: str, masked_number: str) -> str:
    """``仕事用 JW•••••••••••0001``, or the masked number alone."""
    return f"{nickname} {masked_number}" if nickname else masked_number
