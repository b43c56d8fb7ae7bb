"""Refund arithmetic (払いもどし), DOMAIN.md "Refunds", JR West rule.

A refund pays out the card balance and, for a commuter pass, its unused part, less a
¥220 fee; the member never gets less than ¥0:

    total = max(0, balance + pass part - fee)

The pass part:

* before the pass starts: the price;
* after it starts, and only while at least one whole month of validity is left:
  ``max(0, price - used fare)``, where a started month counts as a whole month (the day
  of the refund counts as a day used) and the used months are priced at pass fares,
  the 3-month fare for each full three and the 1-month fare for the rest;
* otherwise (refunded in the pass's last month, or after it ended): ¥0.

All money is ``int`` yen. Pure Python: no Django imports, tested without a database.
The same functions build the refund statement and check the card center feed's
``refund`` lines (FEED.md).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from portal.money import check_money

REFUND_FEE = 220
PASS_MONTHS = (1, 3, 6)

REASON_EXPIRED = "定期券の有効期間が終了しているため、定期券部分の払いもどしはありません。"
REASON_LAST_MONTH = "有効期間の残りが1か月未満のため、定期券部分の払いもどしはありません。"


def pass_month_start(valid_from: date, n: int) -> date:
    """The day month ``n + 1`` of a pass from ``valid_from`` begins (``n`` = 0 gives ``valid_from``).

    JR rule for pass validity: a month ends the day before the corresponding day (応当日)
    ``n`` months on; when that month has no such day, the month ends on its last day and
    the next begins on the 1st of the month after. So a pass from Jan 31 (or Jan 29, 30
    in a common year) has month 1 up to Feb 28 and month 2 from Mar 1; a pass from Apr 1
    has month 1 = April. Always counted from ``valid_from`` itself, never step by step.
    """
    index = valid_from.year * 12 + (valid_from.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    if valid_from.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, valid_from.day)
    year, month = divmod(index + 1, 12)
    return date(year, month + 1, 1)


def pass_valid_until(valid_from: date, months: int) -> date:
    """The last valid day of a ``months``-month pass from ``valid_from`` (JR rule, as above).

    Apr 1 + 6 months -> Sep 30; Jan 31 + 1 month -> Feb 28 (Feb 29 in a leap year).
    """
    return pass_month_start(valid_from, months) - timedelta(days=1)


def _check_fares(fares: Mapping[int, int]) -> None:
    missing = [m for m in PASS_MONTHS if m not in fares]
    if missing:
        raise ValueError(
            f"fares must have the 1-, 3- and 6-month fares (int keys 1, 3, 6); missing {missing}"
        )
    for m in PASS_MONTHS:
        if check_money(f"fares[{m}]", fares[m]) <= 0:
            raise ValueError(f"fares[{m}] must be > 0, got {fares[m]}")


@dataclass(frozen=True)
class PassTerms:
    """What the refund maths needs to know about a commuter pass.

    ``fares`` holds the 1-, 3- and 6-month fares of the same section and kind, keyed
    by the ints 1, 3, 6 (the feed's JSON keys are strings: convert them first).
    """

    valid_from: date
    valid_until: date
    months: int
    price: int
    fares: Mapping[int, int]

    def __post_init__(self) -> None:
        if (
            isinstance(self.months, bool)
            or not isinstance(self.months, int)
            or self.months not in PASS_MONTHS
        ):
            raise ValueError(f"months must be 1, 3 or 6, got {self.months!r}")
        if check_money("price", self.price) <= 0:
            raise ValueError(f"price must be > 0, got {self.price}")
        if self.valid_until < self.valid_from:
            raise ValueError(f"valid_until {self.valid_until} is before valid_from {self.valid_from}")
        _check_fares(self.fares)


@dataclass(frozen=True)
class PassRefund:
    """The pass part of a refund. ``reason`` says why nothing is refunded, else ``None``."""

    months_used: int
    fare_deducted: int
    amount: int
    refundable: bool
    reason: str | None = None


@dataclass(frozen=True)
class RefundBreakdown:
    """Every input and step of a refund, for the refund statement and the feed check.

    The pass fields are ``None`` for a refund without a pass (then ``pass_part`` is 0).
    """

    refund_date: date
    balance: int
    fee: int
    pass_part: int
    total: int
    price: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    months: int | None = None
    months_used: int | None = None
    fare_deducted: int | None = None
    pass_refundable: bool | None = None
    pass_reason: str | None = None


def months_used(valid_from: date, refund_date: date) -> int:
    """Months of the pass used by ``refund_date``: a started month counts as a whole one.

    Month k of the pass runs from ``pass_month_start(valid_from, k - 1)`` to the day
    before ``pass_month_start(valid_from, k)``, and the day of the refund counts as a day
    used: a pass from Apr 1 refunded on Apr 1 or Apr 30 has used 1 month, on May 1 2.
    0 when ``refund_date`` is before ``valid_from``.

    Month-end starts follow the JR validity rule rather than clamping the day: a pass from
    Jan 31 has month 1 = Jan 31..Feb 28 and month 2 = Mar 1..Mar 30, so the months end
    exactly where the center's ``valid_until`` does (clamping would start month 2 on
    Feb 28, a day the 1-month pass is still valid, and charge a month too early).
    """
    if refund_date < valid_from:
        return 0
    used = (refund_date.year - valid_from.year) * 12 + refund_date.month - valid_from.month
    # A first guess from the calendar months, corrected until the refund date falls in
    # month ``used + 1``: on or after its start and before the next month's start.
    while pass_month_start(valid_from, used) > refund_date:
        used -= 1
    while pass_month_start(valid_from, used + 1) <= refund_date:
        used += 1
    return used + 1


def used_fare_lines(months_used: int, fares: Mapping[int, int]) -> tuple[tuple[int, int, int], ...]:
    """How the used months are priced: ``(pass months, count, fare)`` lines, for the statement.

    5 months -> ((3, 1, fares[3]), (1, 2, fares[1])); lines with count 0 are left out.
    """
    if isinstance(months_used, bool) or not isinstance(months_used, int) or months_used < 0:
        raise ValueError(f"months_used must be an int >= 0, got {months_used!r}")
    _check_fares(fares)
    threes, ones = divmod(months_used, 3)
    return tuple((m, n, fares[m]) for m, n in ((3, threes), (1, ones)) if n)


def used_fare(months_used: int, fares: Mapping[int, int]) -> int:
    """The fare for the months used: the 3-month fare for each full three, 1-month for the rest.

    5 -> fares[3] + 2 * fares[1]; 6 -> 2 * fares[3]; 0 -> 0.
    """
    return sum(n * fare for _, n, fare in used_fare_lines(months_used, fares))


def pass_refund(terms: PassTerms, refund_date: date) -> PassRefund:
    """The pass part of a refund on ``refund_date`` (a Japan date).

    * Before ``valid_from``: the price; nothing used, nothing deducted.
    * After ``valid_until``: 0, not refundable (``months_used`` = the pass's months).
    * Otherwise refundable only while at least one whole month of validity is left, i.e.
      ``months_used <= months - 1``; in the last month: 0, not refundable, and no fare is
      deducted because nothing is refunded. When refundable:
      ``max(0, price - used_fare(months_used))``.
    """
    if refund_date < terms.valid_from:
        return PassRefund(months_used=0, fare_deducted=0, amount=terms.price, refundable=True)
    if refund_date > terms.valid_until:
        return PassRefund(
            months_used=terms.months, fare_deducted=0, amount=0, refundable=False, reason=REASON_EXPIRED
        )
    used = min(months_used(terms.valid_from, refund_date), terms.months)
    if used > terms.months - 1:
        return PassRefund(
            months_used=used, fare_deducted=0, amount=0, refundable=False, reason=REASON_LAST_MONTH
        )
    fare = used_fare(used, terms.fares)
    return PassRefund(
        months_used=used, fare_deducted=fare, amount=max(0, terms.price - fare), refundable=True
    )


def refund_total(*, balance: int, pass_part: int, fee: int = REFUND_FEE) -> int:
    """What the member receives: ``max(0, balance + pass_part - fee)``."""
    if check_money("balance", balance) < 0:
        raise ValueError(f"balance must be >= 0, got {balance}")
    if check_money("pass_part", pass_part) < 0:
        raise ValueError(f"pass_part must be >= 0, got {pass_part}")
    if check_money("fee", fee) < 0:
        raise ValueError(f"fee must be >= 0, got {fee}")
    return max(0, balance + pass_part - fee)


def compute_refund(
    *, balance: int, terms: PassTerms | None, refund_date: date, fee: int = REFUND_FEE
) -> RefundBreakdown:
    """A whole refund, step by step: the balance part, the pass part (if any), fee, total."""
    if terms is None:
        total = refund_total(balance=balance, pass_part=0, fee=fee)
        return RefundBreakdown(refund_date=refund_date, balance=balance, fee=fee, pass_part=0, total=total)
    part = pass_refund(terms, refund_date)
    total = refund_total(balance=balance, pass_part=part.amount, fee=fee)
    return RefundBreakdown(
        refund_date=refund_date,
        balance=balance,
        fee=fee,
        pass_part=part.amount,
        total=total,
        price=terms.price,
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        months=terms.months,
        months_used=part.months_used,
        fare_deducted=part.fare_deducted,
        pass_refundable=part.refundable,
        pass_reason=part.reason,
    )
