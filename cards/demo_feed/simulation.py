"""The simulation: one member's plan lived a day at a time from ``start`` to ``now``, and the
feed it writes (``generate_feed``, ``write_feed``). Pure Python."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from accounts.demo import DEMO_MEMBERS
from cards.demo_feed.network import _HOLIDAYS, _SHOPS, fare, fare_with_pass
from cards.demo_feed.plans import (
    CHARGE_STEPS,
    DEFAULT_SEED,
    JAPAN,
    MAX_BALANCE,
    Card,
    MemberPlan,
    PassPlan,
    Phase,
    _add_months,
    _at,
    _digest,
    _iso,
    _plan,
    _ymd,
    history_start,
    member_subs,
)
from cards.refunds import PassTerms, compute_refund, pass_valid_until

# -- the simulation --------------------------------------------------------------------------


class Simulation:
    """One member from ``start`` to ``now``: a day at a time, each day simulated whole."""

    def __init__(self, plan: MemberPlan, *, seed: str, start: date, now: datetime) -> None:
        self.plan = plan
        self.now = now
        self.start = start
        self.rng = random.Random(f"{seed}|{plan.sub}")  # noqa: S311 (demo data, not security)
        self.key = _digest(seed, plan.sub)[:5].hex().upper()
        self.points = 0
        self.early_points = 0  # earned in the first two months: what expires after a year
        self.paid_with_points = False
        self.ride_fares: Counter[tuple[int, int]] = Counter()
        self.jwest_paid: Counter[tuple[int, int]] = Counter()
        self.points_day, self.points_seq = "", 0
        self.out: list[tuple[datetime, dict]] = []
        self.expire_on = _add_months(start, 13) - timedelta(days=1)
        self.early_until = _at(_add_months(start, 2), 0)
        if plan.passes is not None:
            plan.passes.next_paid = plan.passes.first_paid
            plan.passes.next_from = plan.passes.first_paid.date()

    def run(self) -> Iterator[dict]:
        for card in self.plan.cards:
            if card.issued_at <= self.now:
                status, device = card.state(self.now)
                yield {
                    "type": "card", "icoca_number": card.number, "wester_id": self.plan.sub,
                    "issued_at": _iso(card.issued_at), "device": device, "status": status,
                    "replaces": card.replaces.number if card.replaces else None,
                }
        day = self.start
        while day <= self.now.date():
            self.out = []
            for minute, _, action, args in sorted(self._day(day), key=lambda intent: intent[:2]):
                getattr(self, f"_do_{action}")(_at(day, minute, self.rng.randrange(60)), *args)
            self.out.sort(key=lambda item: item[0])
            for moment, record in self.out:
                if moment <= self.now:
                    yield record
            day += timedelta(days=1)

    # -- planning a day --------------------------------------------------------------------

    def _day(self, day: date) -> list[tuple[int, int, str, tuple]]:
        rng, plan = self.rng, self.plan
        intents: list[tuple[int, int, str, tuple]] = []

        def add(minute: int, action: str, *args: object) -> None:
            intents.append((minute, len(intents), action, args))

        for card in plan.cards:
            if card.issued_at.date() == day:
                add(card.issued_at.hour * 60 + card.issued_at.minute + 8, "issue", card)
        passes = plan.passes
        if passes is not None and passes.next_paid is not None and passes.next_paid.date() == day:
            add(passes.next_paid.hour * 60 + passes.next_paid.minute, "buy_pass", passes)
        if day.day == 6:
            add(3 * 60, "ride_points")
        if day.day == 10 and plan.jwest:
            add(3 * 60 + 30, "jwest_points")
        if day == self.expire_on:
            add(23 * 60 + 50, "expire")
        for minute, action, args in plan.specials.get(day, ()):
            add(minute, action, *args)

        phase = plan.phase(day)
        working = day.weekday() < 5 and (day.month, day.day) not in _HOLIDAYS
        if working and phase.commute and rng.random() < phase.work_days:
            self._commute_day(add, phase)
        elif not working:
            self._free_day(add, phase, day)
        add(21 * 60 + rng.randrange(100), "top_up")
        return intents

    def _commute_day(self, add, phase: Phase) -> None:
        rng = self.rng
        home, work = phase.commute
        cards, shops = phase.commute_cards, phase.shop_cards
        leave = rng.randint(6 * 60 + 50, 8 * 60 + 40)
        bus = phase.bus
        if bus and bus[2] == "home":
            add(leave - 15, "bus", cards, bus[0], bus[1], home)
        if rng.random() < 0.3:
            add(leave - 4, "shop", shops, home)
        add(leave, "ride", cards, home, work)
        if bus and bus[2] == "work":
            add(leave + 50, "bus", cards, bus[0], bus[1], work)
        if rng.random() < 0.45:
            add(12 * 60 + rng.randrange(50), "shop", shops, work)
        back = rng.randint(17 * 60 + 20, 20 * 60 + 30)
        if bus and bus[2] == "work":
            add(back - 20, "bus", cards, bus[0], bus[1], work)
        if phase.evenings and rng.random() < 0.18:
            out = rng.choice(phase.evenings)
            add(back, "ride", cards, work, out)
            if rng.random() < 0.6:
                add(back + 60, "shop", shops, out)
            back += rng.randint(120, 200)
            add(back, "ride", cards, out, home)
        else:
            add(back, "ride", cards, work, home)
        if bus and bus[2] == "home":
            add(back + 40, "bus", cards, bus[0], bus[1], home)

    def _free_day(self, add, phase: Phase, day: date) -> None:
        rng = self.rng
        home = phase.commute[0] if phase.commute else "大阪"
        chance = rng.random()
        if chance < 0.45:
            there = rng.choice(phase.trips)
            if there != home:
                go = rng.randint(9 * 60, 13 * 60)
                add(go, "ride", phase.trip_cards, home, there)
                add(go + rng.randint(40, 150), "shop", phase.shop_cards, there)
                add(go + rng.randint(240, 480), "ride", phase.trip_cards, there, home)
        elif chance < 0.75:
            add(rng.randint(10 * 60, 19 * 60), "shop", phase.shop_cards, home)
        if day.weekday() == 6 and self.plan.point_charge:
            add(11 * 60 + rng.randrange(60), "point_charge", self.plan.point_charge)

    # -- doing it --------------------------------------------------------------------------

    @staticmethod
    def _pick(cards: tuple[Card, ...], moment: datetime) -> Card | None:
        return next((card for card in cards if card.usable(moment)), None)

    def _usage(self, card: Card, moment: datetime, kind: str, amount: int, **fields: object) -> None:
        floor = card.last or card.issued_at
        if moment <= floor:  # one card's lines are strictly in time order, after its issue
            moment = floor + timedelta(seconds=37)
        card.last = moment
        card.balance += amount
        if not 0 <= card.balance <= MAX_BALANCE:
            raise AssertionError(f"balance {card.balance} out of range on {card.number} at {moment}")
        ymd = _ymd(moment)
        if card.seq_day != ymd:
            card.seq_day, card.seq = ymd, 0
        card.seq += 1
        record = {
            "type": "usage", "id": f"U-{ymd}-{card.number[2:]}-{card.seq:03d}", "icoca_number": card.number,
            "at": _iso(moment), "kind": kind, "amount": amount, "balance": card.balance, **fields,
        }
        self.out.append((moment, record))
        if kind == "ride":
            self.ride_fares[moment.year, moment.month] -= amount

    def _points(self, moment: datetime, kind: str, points: int, category: str) -> None:
        self.points += points
        if self.points < 0:
            raise AssertionError(f"points below 0 for {self.plan.sub} at {moment}")
        if kind == "earn" and moment < self.early_until:
            self.early_points += points
        ymd = _ymd(moment)
        if self.points_day != ymd:
            self.points_day, self.points_seq = ymd, 0
        self.points_seq += 1
        self.out.append((moment, {
            "type": "points", "id": f"W-{ymd}-{self.key}-{self.points_seq:02d}", "wester_id": self.plan.sub,
            "at": _iso(moment), "kind": kind, "points": points, "category": category,
        }))

    def _charge(self, card: Card, moment: datetime, need: int, station: str, payment=None) -> None:
        rng = self.rng
        payment = payment or rng.choice(card.payments)
        room = MAX_BALANCE - card.balance
        options = [step for step in CHARGE_STEPS if max(need, 1) <= step <= room]
        if not options:
            return
        preferred = [step for step in card.amounts if step in options]
        amount = rng.choice(preferred or options)
        fields: dict[str, object] = {"payment": payment}
        if payment["method"] == "cash":
            fields["place"] = f"{station}駅 券売機"
        self._usage(card, moment, "charge", amount, **fields)
        if payment == self.plan.jwest:
            self.jwest_paid[moment.year, moment.month] += amount

    def _debit(self, card: Card, moment: datetime, amount: int, kind: str, station: str, **fields) -> None:
        if card.balance < amount:
            self._charge(card, moment - timedelta(minutes=self.rng.randint(1, 3)), amount - card.balance, station)
        self._usage(card, moment, kind, -amount, **fields)

    def _covered_fare(self, card: Card, moment: datetime, a: str, b: str) -> int:
        passes = self.plan.passes
        if passes is not None:
            numbers = card.lineage()
            day = moment.date()
            for bought in passes.bought:
                if (
                    bought["icoca_number"] in numbers
                    and bought["valid_from"] <= day <= bought["valid_until"]
                    and not (bought["refunded"] and bought["refunded"] <= moment)
                ):
                    return fare_with_pass(passes.section, a, b)
        return fare(a, b)

    def _do_issue(self, moment: datetime, card: Card) -> None:
        if card.replaces is not None:  # the balance carries over from the card it replaces
            card.balance, card.last = card.replaces.balance, moment
            return
        self._charge(card, moment, 1000, card.station)

    def _do_ride(self, moment: datetime, cards: tuple[Card, ...], a: str, b: str) -> None:
        card = self._pick(cards, moment)
        if card is not None and a != b:
            amount = self._covered_fare(card, moment, a, b)
            if amount:
                self._debit(card, moment, amount, "ride", a, **{"from": a, "to": b})

    def _do_double_ride(self, moment: datetime, card: Card, a: str, b: str) -> None:
        """A gate that deducts one ride twice, 8 seconds apart (the center adjusts it later)."""
        if card.usable(moment):
            amount = fare(a, b)
            if card.balance < 2 * amount:
                self._charge(card, moment - timedelta(minutes=2), 2 * amount - card.balance, a)
            self._usage(card, moment, "ride", -amount, **{"from": a, "to": b})
            self._usage(card, card.last + timedelta(seconds=8), "ride", -amount, **{"from": a, "to": b})

    def _do_adjust(self, moment: datetime, card: Card, amount: int, note: str) -> None:
        amount = min(amount, MAX_BALANCE - card.balance)
        if card.usable(moment) and amount:
            self._usage(card, moment, "adjustment", amount, note=note)

    def _do_bus(self, moment: datetime, cards: tuple[Card, ...], operator: str, amount: int, station: str) -> None:
        card = self._pick(cards, moment)
        if card is not None:
            self._debit(card, moment, amount, "bus", station, operator=operator)

    def _do_shop(self, moment: datetime, cards: tuple[Card, ...], station: str) -> None:
        card = self._pick(cards, moment)
        if card is not None:
            name, low, high = self.rng.choice(_SHOPS)
            self._debit(card, moment, self.rng.randint(low, high) * 10, "purchase", station,
                        merchant=name.format(station))

    def _do_top_up(self, moment: datetime) -> None:
        for card in self.plan.cards:
            by_card = [p for p in card.payments if p["method"] == "card"]
            if by_card and card.usable(moment) and card.balance < 1500 and self.rng.random() < 0.5:
                self._charge(card, moment, 1, card.station, by_card[0])

    def _do_point_charge(self, moment: datetime, cards: tuple[Card, ...]) -> None:
        card = self._pick(cards, moment)
        if card is None or self.points < 1000:
            return
        amount = min(self.points, MAX_BALANCE - card.balance) // 100 * 100
        if amount > 0:
            self._usage(card, moment, "point_charge", amount)
            self._points(card.last, "charge", -amount, "icoca_charge")

    def _do_earn(self, moment: datetime, points: int, category: str) -> None:
        self._points(moment, "earn", points, category)

    def _do_ride_points(self, moment: datetime) -> None:
        month = _add_months(moment.date().replace(day=1), -1)
        spent = self.ride_fares.pop((month.year, month.month), 0)
        if spent // 50:
            self._points(moment, "earn", spent // 50, "ride_count")

    def _do_jwest_points(self, moment: datetime) -> None:
        month = _add_months(moment.date().replace(day=1), -1)
        paid = self.jwest_paid.pop((month.year, month.month), 0)
        if paid // 1000:
            self._points(moment, "earn", paid // 1000 * 15, "jwest_card")

    def _do_expire(self, moment: datetime) -> None:
        points = min(self.points, self.early_points)
        if points > 0:
            self._points(moment, "expire", -points, "expiry")

    def _do_buy_pass(self, moment: datetime, plan: PassPlan) -> None:
        plan.next_paid = None
        card = self._pick(plan.cards, moment)
        if card is None or (plan.stop is not None and moment >= plan.stop):
            return
        index = len(plan.bought)
        valid_from = max(plan.next_from, moment.date())
        valid_until = pass_valid_until(valid_from, plan.months)
        price = plan.fares[plan.months]
        payment = plan.payment(self, index)
        record = {
            "type": "pass", "id": f"P-{_ymd(moment)}-{card.number[2:]}", "icoca_number": card.number,
            "kind": plan.kind, "from": plan.section[0], "to": plan.section[1], "via": plan.via or None,
            "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(), "months": plan.months,
            "price": price, "fares": {str(months): yen for months, yen in sorted(plan.fares.items())},
            "paid_at": _iso(moment), "payment": payment,
        }
        self.out.append((moment, record))
        plan.bought = [*plan.bought[-2:], {
            "id": record["id"], "icoca_number": card.number, "valid_from": valid_from, "valid_until": valid_until,
            "months": plan.months, "price": price, "refunded": None,
        }]
        if payment["method"] == "points":
            self._points(moment + timedelta(seconds=1), "adjust", -price, "pass_payment")
        elif payment == self.plan.jwest:
            self.jwest_paid[moment.year, moment.month] += price
        plan.next_from = valid_until + timedelta(days=1)
        paid_day = plan.next_from - timedelta(days=self.rng.randint(2, 7))
        plan.next_paid = _at(paid_day, self.rng.randint(19 * 60, 22 * 60 + 30))

    def _do_refund(self, moment: datetime, card: Card, destination: dict[str, str]) -> None:
        passes = self.plan.passes
        refunded = None
        if passes is not None:
            numbers = card.lineage()
            refunded = next(
                (p for p in passes.bought if p["icoca_number"] in numbers and p["valid_until"] >= moment.date()), None
            )
        terms = None
        if refunded is not None:
            terms = PassTerms(valid_from=refunded["valid_from"], valid_until=refunded["valid_until"],
                              months=refunded["months"], price=refunded["price"], fares=passes.fares)
            refunded["refunded"] = moment
        breakdown = compute_refund(balance=card.balance, terms=terms, refund_date=moment.date())
        self.out.append((moment, {
            "type": "refund", "id": f"R-{_ymd(moment)}-{card.number[2:]}", "icoca_number": card.number,
            "at": _iso(moment), "balance": card.balance, "pass_id": refunded["id"] if refunded else None,
            "fee": breakdown.fee, "total": breakdown.total, "destination": destination,
        }))
        card.balance = 0


# -- the feed --------------------------------------------------------------------------------


def generate_feed(
    *, now: datetime, members: int = len(DEMO_MEMBERS), seed: str = DEFAULT_SEED, start: date | None = None
) -> Iterator[dict]:
    """The feed's records, member after member, up to ``now`` (an aware datetime)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if members < 1:
        raise ValueError(f"members must be at least 1 (got {members})")
    start = start or history_start(now)
    local_now = now.astimezone(JAPAN).replace(tzinfo=None)
    for sub in member_subs(members):
        yield from Simulation(_plan(seed, sub, start), seed=seed, start=start, now=local_now).run()


def dump(record: dict) -> str:
    """One feed line (without its line break)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_feed(path: str | os.PathLike, **options) -> Counter[str]:
    """Write ``generate_feed(**options)`` to ``path`` as JSON Lines; returns the count of each
    record type. The file is written next to ``path`` and renamed, so it is never seen half done."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    counts: Counter[str] = Counter()
    with partial.open("w", encoding="utf-8", newline="\n") as stream:
        for record in generate_feed(**options):
            stream.write(dump(record))
            stream.write("\n")
            counts[record["type"]] += 1
    os.replace(partial, path)
    return counts
