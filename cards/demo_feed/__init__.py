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

The package: ``network`` (stations, fares, shops), ``plans`` (each member's cards, phases and
passes), ``simulation`` (the days lived, and the feed written from them).
"""

from cards.demo_feed.network import STATIONS, fare, fare_with_pass, pass_fares
from cards.demo_feed.plans import (
    DEFAULT_SEED,
    JAPAN,
    MAX_BALANCE,
    anchor_card_number,
    history_start,
    icoca_number,
    member_subs,
)
from cards.demo_feed.simulation import dump, generate_feed, write_feed

__all__ = [
    "DEFAULT_SEED", "JAPAN", "MAX_BALANCE", "STATIONS", "anchor_card_number", "dump", "fare", "fare_with_pass",
    "generate_feed", "history_start", "icoca_number", "member_subs", "pass_fares", "write_feed",
]
