"""利用履歴証明 (a printed usage history, for 交通費精算): what it lists, what it
covers and the totals it prints (DOMAIN.md "Documents, beyond receipts").

* It lists the member's rides, bus rides and purchases of one card (with the cards its
  reissues replaced) or of all cards, for a period inside the document window; or only
  rides and buses; or one kind; or only the rides between two stations, either way.
* Each line: the Japan date and time, the kind, from → to (a ride) or the operator (a bus)
  or the merchant (a purchase), the amount and the balance after it, and which card.
* It prints the total of the fares (rides and buses) and, when purchases are on it, the
  total of the purchases; the member's name and each card's masked number (its last 4);
  and it says it is a record of use, not a receipt.

The content is plain data fixed when the document is issued (``to_json``, format
``"v": 1``): the lines with their figures, the totals, the cards, the scope and the
member's name. Rendering reads it and never reads the usage history again, so a reprint
shows what the first issue showed. Pure Python: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from portal.money import check_money

RIDE, BUS, PURCHASE = "ride", "bus", "purchase"
KINDS = (RIDE, BUS, PURCHASE)
FARE_KINDS = frozenset((RIDE, BUS))
CONTENT_VERSION = 1

#: What a member may ask for, by name: the kinds each scope lists. ``route`` lists the
#: rides between two stations (given with it).
SCOPES: dict[str, tuple[str, ...]] = {
    "all": KINDS,
    "transit": (RIDE, BUS),
    "ride": (RIDE,),
    "bus": (BUS,),
    "purchase": (PURCHASE,),
    "route": (RIDE,),
}
ROUTE = "route"


def station_key(name: str) -> str:
    """A station name as rides are matched on: trimmed, without a trailing 駅
    (``大阪駅`` and ``大阪`` are the same station)."""
    name = (name or "").strip()
    return name[:-1] if name.endswith("駅") and len(name) > 1 else name


@dataclass(frozen=True)
class UsageHistoryScope:
    """What a usage history covers besides its period: the scope's name, one card
    (its public id; ``""``: all the member's cards) and, for ``route``, the two
    stations (in the order given; a ride either way matches)."""

    name: str = "all"
    card: str = ""
    stations: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.name not in SCOPES:
            raise ValueError(f"scope must be one of {tuple(SCOPES)}, got {self.name!r}")
        if (self.name == ROUTE) != (self.stations is not None):
            raise ValueError("a route scope needs two stations, and only a route scope has them")
        if self.stations is not None:
            a, b = (station_key(s) for s in self.stations)
            if not a or not b or a == b:
                raise ValueError(f"a route needs two different stations, got {self.stations!r}")
            object.__setattr__(self, "stations", (a, b))

    @property
    def kinds(self) -> tuple[str, ...]:
        return SCOPES[self.name]

    def key(self) -> str:
        """The same key for the same request (a document is made once per key and
        period): ``all;card=…`` or ``route;card=;stations=京都|大阪`` (stations sorted)."""
        key = f"{self.name};card={self.card}"
        if self.stations is not None:
            key += ";stations=" + "|".join(sorted(self.stations))
        return key

    def matches(self, *, kind: str, from_station: str = "", to_station: str = "") -> bool:
        if kind not in self.kinds:
            return False
        if self.stations is None:
            return True
        return {station_key(from_station), station_key(to_station)} == set(self.stations)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "card": self.card, "stations": list(self.stations) if self.stations else None}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> UsageHistoryScope:
        stations = data.get("stations")
        return cls(name=data["name"], card=data.get("card", ""), stations=tuple(stations) if stations else None)


@dataclass(frozen=True)
class UsageHistoryLine:
    """One use of a card, as the center reported it. ``at`` is aware; ``amount`` is
    the signed change of the stored value (a ride −580); ``balance`` the stored value
    after it; ``place`` the bus operator or the shop."""

    at: datetime
    kind: str
    card_number: str  # masked: JW•••••••••••0001
    amount: int
    balance: int
    from_station: str = ""
    to_station: str = ""
    place: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("at must be an aware datetime")
        check_money("amount", self.amount)
        check_money("balance", self.balance)

    @property
    def is_fare(self) -> bool:
        return self.kind in FARE_KINDS

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "at": self.at.isoformat(), "kind": self.kind, "card_number": self.card_number,
            "amount": self.amount, "balance": self.balance,
        }
        if self.kind == RIDE:
            data |= {"from_station": self.from_station, "to_station": self.to_station}
        else:
            data["place"] = self.place
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> UsageHistoryLine:
        values = dict(data)
        values["at"] = datetime.fromisoformat(values["at"])
        return cls(**values)


@dataclass(frozen=True)
class HistoryCard:
    """A card the document covers, as it was named when the document was issued."""

    nickname: str
    number: str  # masked: JW•••••••••••0001 (the last 4 show)


@dataclass(frozen=True)
class UsageHistoryContent:
    """Everything a usage history prints."""

    member_name: str
    period_start: date
    period_end: date
    scope: UsageHistoryScope
    cards: tuple[HistoryCard, ...]
    lines: tuple[UsageHistoryLine, ...]
    fare_total: int  # what the rides and buses cost, as a positive amount
    fare_count: int
    purchase_total: int  # what the purchases cost, as a positive amount
    purchase_count: int

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def total(self) -> int:
        """The figure the document is listed and searched by: the fares."""
        return self.fare_total

    def to_json(self) -> dict[str, object]:
        return {
            "v": CONTENT_VERSION,
            "member_name": self.member_name,
            "period": {"start": self.period_start.isoformat(), "end": self.period_end.isoformat()},
            "scope": self.scope.to_json(),
            "cards": [{"nickname": c.nickname, "number": c.number} for c in self.cards],
            "lines": [line.to_json() for line in self.lines],
            "fare_total": self.fare_total,
            "fare_count": self.fare_count,
            "purchase_total": self.purchase_total,
            "purchase_count": self.purchase_count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> UsageHistoryContent:
        """The content a document stored: read, never recomputed (the stored totals must
        agree with the stored lines, or the snapshot is damaged)."""
        version = data.get("v")
        if version != CONTENT_VERSION:
            raise ValueError(f"unknown usage history content version {version!r}")
        content = cls(
            member_name=data["member_name"],
            period_start=date.fromisoformat(data["period"]["start"]),
            period_end=date.fromisoformat(data["period"]["end"]),
            scope=UsageHistoryScope.from_json(data["scope"]),
            cards=tuple(HistoryCard(nickname=c["nickname"], number=c["number"]) for c in data["cards"]),
            lines=tuple(UsageHistoryLine.from_json(item) for item in data["lines"]),
            fare_total=data["fare_total"],
            fare_count=data["fare_count"],
            purchase_total=data["purchase_total"],
            purchase_count=data["purchase_count"],
        )
        fares, purchases = _totals(content.lines)
        if fares != (content.fare_total, content.fare_count) or purchases != (
            content.purchase_total, content.purchase_count
        ):
            raise ValueError(f"the stored totals do not match the stored lines ({fares}, {purchases})")
        return content


def _totals(lines: Iterable[UsageHistoryLine]) -> tuple[tuple[int, int], tuple[int, int]]:
    fare_total = fare_count = purchase_total = purchase_count = 0
    for line in lines:
        if line.is_fare:
            fare_total, fare_count = fare_total - line.amount, fare_count + 1
        else:
            purchase_total, purchase_count = purchase_total - line.amount, purchase_count + 1
    return (fare_total, fare_count), (purchase_total, purchase_count)


def compose(
    lines: Iterable[UsageHistoryLine], *, member_name: str, period_start: date, period_end: date,
    scope: UsageHistoryScope, cards: Sequence[HistoryCard],
) -> UsageHistoryContent:
    """The content of the lines ``scope`` matches, oldest first.

    >>> from datetime import timezone, timedelta
    >>> at = datetime(2026, 11, 2, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    >>> lines = [UsageHistoryLine(at, RIDE, "JW•••1", -580, 4210, "大阪", "京都"),
    ...          UsageHistoryLine(at, RIDE, "JW•••1", -410, 3800, "京都駅", "大阪"),
    ...          UsageHistoryLine(at, BUS, "JW•••1", -230, 3570, place="京都市バス"),
    ...          UsageHistoryLine(at, PURCHASE, "JW•••1", -540, 3030, place="売店")]
    >>> day = at.date()
    >>> c = compose(lines, member_name="山田 花子", period_start=day, period_end=day,
    ...             scope=UsageHistoryScope(), cards=[])
    >>> c.fare_total, c.fare_count, c.purchase_total, c.purchase_count
    (1220, 3, 540, 1)
    >>> route = UsageHistoryScope(name="route", stations=("大阪駅", "京都"))
    >>> compose(lines, member_name="", period_start=day, period_end=day, scope=route, cards=[]).fare_total
    990
    """
    kept = sorted(
        (line for line in lines
         if scope.matches(kind=line.kind, from_station=line.from_station, to_station=line.to_station)),
        key=lambda line: line.at,
    )
    (fare_total, fare_count), (purchase_total, purchase_count) = _totals(kept)
    return UsageHistoryContent(
        member_name=member_name, period_start=period_start, period_end=period_end, scope=scope,
        cards=tuple(cards), lines=tuple(kept), fare_total=fare_total, fare_count=fare_count,
        purchase_total=purchase_total, purchase_count=purchase_count,
    )
