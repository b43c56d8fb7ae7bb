"""The demo members' plans: their cards (``Card``), how they live (``Phase``), the passes they
buy (``PassPlan``), for the three demo members and the generated ones. Pure Python."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from accounts.demo import DEMO_MEMBERS
from cards.demo_feed.network import _BRANDS, STATIONS, fare, pass_fares
from cards.refunds import pass_month_start

JAPAN = timezone(timedelta(hours=9))
DEFAULT_SEED = "icoca-demo-1"
HISTORY_MONTHS = 13
MAX_BALANCE = 20000
CHARGE_STEPS = (1000, 2000, 3000, 5000, 10000)
BENCH_PREFIX = "bench-"


def history_start(now: datetime) -> date:
    """The first day of the month 13 months before ``now``'s Japan month (2026-11-26 -> 2025-10-01)."""
    today = now.astimezone(JAPAN).date()
    index = today.year * 12 + today.month - 1 - HISTORY_MONTHS
    return date(index // 12, index % 12 + 1, 1)


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "+09:00"


def _ymd(moment: datetime) -> str:
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(map(str, parts)).encode()).digest()


def icoca_number(seed: str, sub: str, slot: str) -> str:
    """A card number for a member's card slot: ``JW`` + 15 characters of [0-9A-Z]."""
    value = int.from_bytes(_digest(seed, sub, slot)[:12], "big")
    chars = []
    for _ in range(15):
        value, digit = divmod(value, 36)
        chars.append("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit])
    return "JW" + "".join(chars)


def _card_payment(brand: str, last4: str) -> dict[str, str]:
    return {"method": "card", "brand": brand, "last4": last4}


CASH = {"method": "cash"}

# -- the plan of a member --------------------------------------------------------------------


@dataclass
class Card:
    number: str
    device: str
    issued_at: datetime  # naive, Japan time, like every time below
    payments: tuple[dict[str, str], ...]  # how it is charged
    amounts: tuple[int, ...] = (3000, 5000)  # preferred charge amounts
    replaces: Card | None = None
    # (since, status, device) after issue; the last one before now is the card line.
    changes: list[tuple[datetime, str, str]] = field(default_factory=list)
    # (from, until) when it can be used; until None = still.
    periods: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    station: str = "大阪"  # where it is first charged
    balance: int = 0
    last: datetime | None = None
    seq_day: str = ""
    seq: int = 0

    def usable(self, moment: datetime) -> bool:
        return any(start <= moment and (end is None or moment < end) for start, end in self.periods)

    def state(self, now: datetime) -> tuple[str, str]:
        status, device = "active", self.device
        for since, status_then, device_then in self.changes:
            if since <= now:
                status, device = status_then, device_then
        return status, device

    def lineage(self) -> set[str]:
        card, numbers = self, set()
        while card is not None:
            numbers.add(card.number)
            card = card.replaces
        return numbers


@dataclass
class Phase:
    """How a member lives from ``since`` on: where they commute, with which cards."""

    since: date
    commute: tuple[str, str] | None  # (home, work)
    commute_cards: tuple[Card, ...]  # the first usable one is used
    shop_cards: tuple[Card, ...]
    trip_cards: tuple[Card, ...]
    bus: tuple[str, int, str] | None = None  # (operator, fare, "home" | "work" side)
    evenings: tuple[str, ...] = ()  # where they sometimes go after work
    trips: tuple[str, ...] = ("京都",)  # weekend destinations
    work_days: float = 0.94  # share of working days they commute


@dataclass
class PassPlan:
    kind: str
    section: tuple[str, str]
    via: str
    fares: dict[int, int]
    months: int
    cards: tuple[Card, ...]
    first_paid: datetime
    payment: Callable[..., dict[str, str]]  # (the simulation, the pass's index) -> the payment
    stop: datetime | None = None  # no renewal from then on (the card was refunded)
    # the passes bought so far (the last few): dicts with id, card, valid_from, valid_until, ...
    bought: list[dict] = field(default_factory=list)
    next_paid: datetime | None = None
    next_from: date | None = None


@dataclass
class MemberPlan:
    sub: str
    cards: list[Card]
    phases: list[Phase]
    passes: PassPlan | None
    jwest: dict[str, str] | None = None  # a J-WEST card: its payments earn points
    point_charge: tuple[Card, ...] = ()  # WESTER points go onto this card on Sundays
    specials: dict[date, list[tuple[int, str, tuple]]] = field(default_factory=dict)

    def phase(self, day: date) -> Phase:
        current = self.phases[0]
        for phase in self.phases:
            if phase.since <= day:
                current = phase
        return current

    def special(self, day: date, minute: int, action: str, *args: object) -> None:
        self.specials.setdefault(day, []).append((minute, action, args))


def _add_months(day: date, months: int) -> date:
    return pass_month_start(day, months)


def _at(day: date, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minute, seconds=second)


def _new_card(seed: str, sub: str, slot: str, device: str, issued_at: datetime, payments, **kwargs) -> Card:
    card = Card(icoca_number(seed, sub, slot), device, issued_at, tuple(payments), **kwargs)
    card.periods.append((issued_at, None))
    return card


def _end(card: Card, moment: datetime, status: str) -> None:
    """The card stops being usable at ``moment`` with ``status``."""
    start, _ = card.periods[-1]
    card.periods[-1] = (start, moment)
    card.changes.append((moment, status, card.device))


def _hanako(seed: str, sub: str, start: date) -> MemberPlan:
    visa = _card_payment("VISA", "4242")  # her J-WEST card
    phone = _new_card(seed, sub, "iphone-1", "iphone", _at(start, 7 * 60 + 30), [visa], amounts=(3000, 5000, 10000))
    watch = _new_card(
        seed, sub, "watch-1", "apple_watch", _at(start + timedelta(days=20), 12 * 60 + 10),
        [CASH, _card_payment("MASTERCARD", "4444")], amounts=(2000, 3000, 5000),
    )
    phase = Phase(
        since=start, commute=("大阪", "三ノ宮"), commute_cards=(phone,), shop_cards=(watch, phone),
        trip_cards=(watch, phone), evenings=("西明石", "神戸", "芦屋", "姫路"),
        trips=("京都", "奈良", "姫路", "芦屋", "ユニバーサルシティ", "西明石", "和歌山"),
    )
    plan = MemberPlan(
        sub, [phone, watch], [phase],
        PassPlan("commuter", ("大阪", "三ノ宮"), "JR神戸線", {1: 12970, 3: 36960, 6: 70040}, 6, (phone,),
                 phone.issued_at + timedelta(minutes=12), lambda sim, index: visa),
        jwest=visa, point_charge=(watch,),
    )
    # One Saturday trip to 京都 was deducted twice at the gate; the center adjusted it 3 days on.
    saturday = _add_months(start, 5)
    saturday += timedelta(days=(5 - saturday.weekday()) % 7)
    plan.special(saturday, 10 * 60 + 12, "double_ride", watch, "大阪", "京都")
    plan.special(saturday, 16 * 60 + 40, "ride", (watch,), "京都", "大阪")
    plan.special(saturday + timedelta(days=3), 14 * 60, "adjust", watch, fare("大阪", "京都"),
                 "改札機で二重に引き去られた運賃の返金")
    return plan


def _taro(seed: str, sub: str, start: date) -> MemberPlan:
    jcb = _card_payment("JCB", "0012")
    old = _new_card(seed, sub, "android-1", "android", _at(start, 8 * 60 + 5), [jcb], amounts=(3000,))
    lost = _at(_add_months(start, 7) + timedelta(days=13), 22 * 60 + 30)
    _end(old, lost, "suspended")
    new = _new_card(seed, sub, "android-2", "android", lost + timedelta(days=2, hours=12), [jcb],
                    amounts=(3000,), replaces=old)
    old.changes.append((new.issued_at, "reissued", old.device))
    work = _new_card(seed, sub, "iphone-1", "iphone", _at(start + timedelta(days=3), 12 * 60 + 30),
                     [CASH, jcb], amounts=(1000, 2000))
    # He changes his work phone: the card is parked on the server and comes back later.
    deposit = _at(_add_months(start, 13) - timedelta(days=5), 21 * 60)
    _end(work, deposit, "deposited")
    back = _at(_add_months(start, 14) + timedelta(days=10), 12 * 60)
    work.periods.append((back, None))
    work.changes.append((back, "active", "iphone"))
    phase = Phase(
        since=start, commute=("高槻", "大阪"), commute_cards=(old, new), shop_cards=(work, old, new),
        trip_cards=(old, new, work), bus=("高槻市営バス", 230, "home"), evenings=("新大阪", "天王寺", "京都"),
        trips=("京都", "三ノ宮", "和歌山", "天王寺", "姫路", "ユニバーサルシティ"),
    )

    def payment(sim, index: int) -> dict[str, str]:  # sim: the Simulation (it counts his points)
        price = sim.plan.passes.fares[1]
        if not sim.paid_with_points and sim.points >= price:
            sim.paid_with_points = True
            return {"method": "points"}
        return jcb

    plan = MemberPlan(
        sub, [old, new, work], [phase],
        PassPlan("commuter", ("高槻", "大阪"), "JR京都線", pass_fares(fare("高槻", "大阪"), "commuter"), 1,
                 (old, new), old.issued_at + timedelta(minutes=15), payment),
    )
    plan.special(_add_months(start, 3) + timedelta(days=14), 10 * 60, "earn", 15000, "campaign")
    return plan


def _emily(seed: str, sub: str, start: date) -> MemberPlan:
    amex = _card_payment("AMEX", "1008")
    phone = _new_card(seed, sub, "iphone-1", "iphone", _at(start, 9 * 60 + 10), [CASH, amex],
                      amounts=(2000, 3000), station="天王寺")
    watch = _new_card(seed, sub, "watch-1", "apple_watch", _at(start + timedelta(days=45), 18 * 60),
                      [amex], amounts=(3000, 5000))
    refund_at = _at(_add_months(start, 10) + timedelta(days=9), 11 * 60 + 20)
    _end(phone, refund_at, "refunded")
    school = Phase(
        since=start, commute=("天王寺", "奈良"), commute_cards=(phone,), shop_cards=(watch, phone),
        trip_cards=(phone, watch), bus=("奈良交通", 230, "work"), evenings=("大阪", "京都"),
        trips=("京都", "大阪", "三ノ宮", "和歌山", "関西空港", "ユニバーサルシティ", "姫路"), work_days=0.85,
    )
    job = Phase(
        since=refund_at.date() + timedelta(days=1), commute=("天王寺", "大阪"), commute_cards=(watch,),
        shop_cards=(watch,), trip_cards=(watch,), evenings=("新大阪", "京都", "三ノ宮"),
        trips=("京都", "奈良", "三ノ宮", "和歌山", "関西空港"),
    )
    plan = MemberPlan(
        sub, [phone, watch], [school, job],
        PassPlan("student", ("天王寺", "奈良"), "大和路線", {1: 6130, 3: 17470, 6: 33100}, 3, (phone,),
                 phone.issued_at + timedelta(minutes=20), lambda sim, index: CASH, stop=refund_at),
    )
    plan.special(refund_at.date(), refund_at.hour * 60 + refund_at.minute, "refund", phone, {"method": "bank"})
    return plan


def _bench(seed: str, sub: str, start: date) -> MemberPlan:
    rng = random.Random(f"{seed}|{sub}|profile")  # noqa: S311 (demo data, not security)
    home, work = rng.sample(STATIONS, 2)
    brand = rng.choice(_BRANDS)
    payment = _card_payment(brand, f"{rng.randrange(10000):04d}")
    payments = rng.choice(([payment], [CASH], [CASH, payment]))
    issued = _at(start + timedelta(days=rng.randrange(28)), rng.randint(7 * 60, 21 * 60))
    device = rng.choice(("android", "iphone"))
    main = _new_card(seed, sub, f"{device}-1", device, issued, payments,
                     amounts=rng.choice(((1000, 2000), (3000,), (3000, 5000), (5000, 10000))), station=home)
    cards = [main]
    if rng.random() < 0.5:
        second = "apple_watch" if device == "iphone" else "android"
        cards.append(_new_card(seed, sub, f"{second}-2", second, issued + timedelta(days=rng.randrange(60)),
                               [payment], amounts=(2000, 3000), station=home))
    if rng.random() < 0.15:
        cards.append(_new_card(seed, sub, "iphone-3", "iphone", issued + timedelta(days=rng.randrange(90)),
                               [CASH], amounts=(1000,), station=home))
    others = [s for s in STATIONS if s not in (home, work)]
    phase = Phase(
        since=start, commute=(home, work), commute_cards=(main,), shop_cards=tuple(reversed(cards)),
        trip_cards=tuple(cards), evenings=tuple(rng.sample(others, 3)), trips=tuple(rng.sample(others, 4)),
        bus=(rng.choice(("大阪シティバス", "京都市バス", "神戸市バス", "奈良交通", "阪急バス")), rng.choice((210, 230, 240)),
             rng.choice(("home", "work"))) if rng.random() < 0.3 else None,
    )
    passes = None
    if rng.random() < 0.5:
        kind = "commuter" if rng.random() < 0.85 else "student"
        pay = rng.choice((payment, payment, CASH))
        passes = PassPlan(kind, (home, work), "", pass_fares(fare(home, work), kind), rng.choice((1, 3, 6)), (main,),
                          issued + timedelta(minutes=10), lambda sim, index, pay=pay: pay)
    return MemberPlan(sub, cards, [phase], passes, jwest=payment if rng.random() < 0.2 else None)


_DEMO_PLANS = {"demo-hanako": _hanako, "demo-taro": _taro, "demo-emily": _emily}


def anchor_card_number(seed: str = DEFAULT_SEED) -> str:
    """The number of the first demo member's first card, issued on the feed's ``start`` day:
    seed_demo finds the ``start`` of demo data already imported from it, so that a later run
    continues the same history instead of contradicting it."""
    return icoca_number(seed, DEMO_MEMBERS[0]["sub"], "iphone-1")


def member_subs(members: int) -> Iterator[str]:
    """The WESTER ID subjects of ``members`` members: the demo members, then bench-000001, ..."""
    for index in range(members):
        yield DEMO_MEMBERS[index]["sub"] if index < len(DEMO_MEMBERS) else f"{BENCH_PREFIX}{index - 2:06d}"


def _plan(seed: str, sub: str, start: date) -> MemberPlan:
    return _DEMO_PLANS.get(sub, _bench)(seed, sub, start)
