"""A realistic card center feed (FEED.md) for the demo and for benchmarks.

``generate_feed(now=...)`` yields the records of the feed as dicts, in file order: for each
member their ``card`` lines, then everything that happened on their cards in time order
(``pass``, ``usage``, ``refund``, ``points``), from ``start`` (by default the first day of the
month 13 months before ``now``, Japan time) up to ``now``. ``write_feed`` writes them as
JSON Lines. One member is simulated at a time, so memory stays constant however many
members are asked for.

The three demo members (``accounts.demo.DEMO_MEMBERS``):

* 山田 花子 (demo-hanako): an iPhone card with a 6-month 通勤 pass 大阪⇔三ノ宮 (JR神戸線)
  paid with her J-WEST VISA (J-WEST points), rides beyond the pass section, and an Apple
  Watch card for shopping and weekend trips, charged in cash or by Mastercard, topped up
  with WESTER points; one trip was deducted twice at the gate and adjusted.
* 田中 太郎 (demo-taro): an Android card with a monthly 通勤 pass 高槻⇔大阪 (JR京都線)
  and the 高槻市営バス every day; he lost the phone in month 8, the card was reissued and
  the replacement carries the balance (and pass) on; one renewal was paid with campaign
  points. A second phone's card (iPhone, 仕事用) is deposited shortly before now.
* Emily Carter (demo-emily): an iPhone card with a 3-month 通学 pass 天王寺⇔奈良
  (大和路線), paid in cash, refunded (balance and unused pass) in month 11 to a bank
  account; an Apple Watch card she then commutes with to 大阪.

``members`` beyond three get generated subjects (``bench-000001``, ...) and a random
profile: 1–3 cards, a commuter or student pass for about half of them, daily commutes, buses,
shopping and weekend trips.

Deterministic: the same ``seed``, ``start`` and ``now`` give the same lines. Each day is
simulated whole from a random state that depends only on the days before it, so a later
``now`` gives the same records plus the newer ones (only ``card`` lines, which have no id,
may change: a later status). Re-importing after a later ``now`` is therefore harmless as long
as ``start`` stays the same.

Balances follow the rules: 0..20,000, each usage balance = previous + amount, a charge
(at least ¥1,000) before the balance would go below 0, a replacement card continues the old
card's balance. The refund total comes from ``cards.refunds``. Pure Python: no Django.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from accounts.demo import DEMO_MEMBERS
from cards.refunds import PassTerms, compute_refund, pass_month_start, pass_valid_until

JAPAN = timezone(timedelta(hours=9))
DEFAULT_SEED = "icoca-demo-1"
HISTORY_MONTHS = 13
MAX_BALANCE = 20000
CHARGE_STEPS = (1000, 2000, 3000, 5000, 10000)
BENCH_PREFIX = "bench-"

# -- stations and fares --------------------------------------------------------------------

# The JR West lines around 大阪 as a tree: station -> (next station toward 大阪, tenths of a km).
_TRACK: dict[str, tuple[str, int]] = {
    "新大阪": ("大阪", 38),
    "茨木": ("新大阪", 119),
    "高槻": ("茨木", 66),
    "京都": ("高槻", 205),
    "尼崎": ("大阪", 77),
    "西宮": ("尼崎", 76),
    "芦屋": ("西宮", 26),
    "三ノ宮": ("芦屋", 127),
    "神戸": ("三ノ宮", 24),
    "明石": ("神戸", 183),
    "西明石": ("明石", 19),
    "姫路": ("西明石", 347),
    "ユニバーサルシティ": ("大阪", 65),
    "天王寺": ("大阪", 107),
    "奈良": ("天王寺", 375),
    "和歌山": ("天王寺", 613),
    "関西空港": ("天王寺", 451),
}
STATIONS: tuple[str, ...] = ("大阪", *_TRACK)

# IC fare by distance (up to tenths of a km), then the 特定区間 fares that differ.
_FARE_STEPS = (
    (30, 160), (60, 190), (100, 220), (150, 240), (200, 330), (250, 420), (300, 510), (350, 590),
    (400, 680), (450, 770), (500, 860), (600, 990), (700, 1170), (800, 1340),
)
_MAX_FARE = 1520
_SPECIAL_FARES = {
    ("大阪", "新大阪"): 170, ("大阪", "京都"): 580, ("大阪", "三ノ宮"): 420, ("大阪", "天王寺"): 200,
    ("大阪", "尼崎"): 200, ("京都", "奈良"): 720, ("京都", "三ノ宮"): 1110, ("大阪", "関西空港"): 1210,
    ("天王寺", "関西空港"): 1080,
}


def _to_osaka(station: str) -> list[tuple[str, int]]:
    """The stations from ``station`` to 大阪 with their distance from 大阪."""
    chain = [station]
    while chain[-1] != "大阪":
        chain.append(_TRACK[chain[-1]][0])
    depth = {"大阪": 0}
    for name in reversed(chain[:-1]):
        parent, tenths = _TRACK[name]
        depth[name] = depth[parent] + tenths
    return [(name, depth[name]) for name in chain]


def _path(a: str, b: str) -> tuple[tuple[str, ...], int]:
    """The stations from ``a`` to ``b`` (both included) and the distance in tenths of a km."""
    up_a, up_b = _to_osaka(a), _to_osaka(b)
    depth_b = dict(up_b)
    meet = next(index for index, (name, _) in enumerate(up_a) if name in depth_b)
    meet_name, meet_depth = up_a[meet]
    left = [name for name, _ in up_a[: meet + 1]]
    right = [name for name, _ in up_b[: [name for name, _ in up_b].index(meet_name)]]
    return (*left, *reversed(right)), up_a[0][1] + up_b[0][1] - 2 * meet_depth


_PATHS: dict[tuple[str, str], tuple[tuple[str, ...], int]] = {
    (a, b): _path(a, b) for a in STATIONS for b in STATIONS if a != b
}


def fare(a: str, b: str) -> int:
    """The IC fare between two stations (¥160–¥1,520)."""
    special = _SPECIAL_FARES.get((a, b)) or _SPECIAL_FARES.get((b, a))
    if special:
        return special
    tenths = _PATHS[a, b][1]
    return next((yen for upto, yen in _FARE_STEPS if tenths <= upto), _MAX_FARE)


def fare_with_pass(section: tuple[str, str], a: str, b: str) -> int:
    """What a ride from ``a`` to ``b`` costs with a pass for ``section``: 0 inside it, the fare
    from where the ride leaves it (乗り越し) or to where it enters it, else the whole fare."""
    on_section = set(_PATHS[section][0])
    path = _PATHS[a, b][0]
    if a in on_section and b in on_section:
        return 0
    if a in on_section:
        exit_ = next(path[i - 1] for i in range(1, len(path)) if path[i] not in on_section)
        return fare(exit_, b)
    if b in on_section:
        entry = next(name for name in path if name in on_section)
        return fare(a, entry)
    return fare(a, b)


def pass_fares(single_fare: int, kind: str) -> dict[int, int]:
    """Plausible 1-, 3- and 6-month prices of a pass for a section with this IC fare."""
    one = round(single_fare * (30.9 if kind == "commuter" else 10.5), -1)
    return {1: int(one), 3: int(round(one * 2.85, -1)), 6: int(round(one * 5.4, -1))}


# -- what members buy ----------------------------------------------------------------------

_SHOPS = (  # (merchant, lowest, highest price; in tens of yen)
    ("駅ナカ売店 {}駅", 13, 78),
    ("コンビニ {}駅", 15, 128),
    ("カフェ {}駅", 38, 92),
    ("自動販売機 {}駅", 13, 20),
)
_BRANDS = ("VISA", "JCB", "MASTERCARD", "AMEX")
# Days off besides weekends: the fixed national holidays, New Year, お盆 (the holidays that move,
# such as 成人の日 or the equinoxes, are left out).
_HOLIDAYS = frozenset(
    {(1, 1), (1, 2), (1, 3), (2, 11), (2, 23), (4, 29), (5, 3), (5, 4), (5, 5), (8, 11), (8, 13), (8, 14),
     (8, 15), (8, 16), (11, 3), (11, 23), (12, 29), (12, 30), (12, 31)}
)


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
    payment: Callable[[Simulation, int], dict[str, str]]
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

    def payment(sim: Simulation, index: int) -> dict[str, str]:
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


def _plan(seed: str, sub: str, start: date) -> MemberPlan:
    return _DEMO_PLANS.get(sub, _bench)(seed, sub, start)


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
