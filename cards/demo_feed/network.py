"""The demo network: the JR West lines around 大阪 as a tree, their IC fares and pass
prices, the shops members buy at, the card brands and the days off. Pure Python."""

from __future__ import annotations

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
