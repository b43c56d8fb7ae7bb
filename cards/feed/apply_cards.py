"""Applying ``card`` lines: first of every type, in file order, 500 lines per transaction.

- A number not stored yet: the card is created, and its member too when the WESTER ID is
  new (``member_get_or_create``; they are linked at their first sign-in).
- A number already stored: ``device`` and ``status`` are updated (the last line by file
  order wins); a line that changes nothing is "unchanged". What a card was born with never
  changes: a different ``wester_id`` (the owner), ``issued_at`` or ``replaces`` is a
  conflict, rejected with the field named. The nickname is the member's: never written here
  except on a replacement card, below.
- ``replaces`` must name a card in the store or in this file. A replacement belongs to the
  member of the card it replaces, and a card is replaced at most once. When the card it
  replaces stands further down the file, the line waits: it (and every later line for the
  same number) is applied in a later round, once that card exists.
- Reissue (DOMAIN.md): a replacement card inherits the replaced card's nickname, and its
  balance while it has none of its own (``inherit_balances`` keeps this true after the usage
  lines: a replacement shows the newest balance of its own records or of the cards it
  replaces). Commuter passes stay linked to the card they were bought on; the pages show the
  passes of the whole chain (``card.replaces``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q

from accounts.models import Member
from accounts.services import member_get_or_create, members_get_or_create
from cards.models import Card

from .content import utc_text
from .records import CardRecord
from .scratch import Scratch

BATCH = 500


class CardApplier:
    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        self.imported = self.unchanged = 0

    def run(self) -> None:
        for batch in self.scratch.records("card", batch=BATCH):
            self._apply(batch)
        while self.scratch.waiting_count():
            waiting = self.scratch.take_waiting()
            before = self.imported + self.unchanged + self.scratch.rejected
            for start in range(0, len(waiting), BATCH):
                self._apply(waiting[start : start + BATCH])
            if self.imported + self.unchanged + self.scratch.rejected == before:  # no progress: give up
                for line, record in self.scratch.take_waiting():
                    self._reject(
                        line, record,
                        f"replaces card {record.replaces}, which is in this file but was not stored "
                        "(see the rejects of its own card lines); import them, then this line again",
                    )

    @transaction.atomic
    def _apply(self, batch: list[tuple[int, CardRecord]]) -> None:
        numbers = {r.icoca_number for _, r in batch} | {r.replaces for _, r in batch if r.replaces}
        self.cards = {
            card.icoca_number: card
            for card in Card.objects.filter(icoca_number__in=numbers).select_related("member", "replaces")
        }
        self.members = {m.wester_id: m for m in Member.objects.filter(wester_id__in={r.wester_id for _, r in batch})}
        self._plain_members(batch)
        self.new_cards: list[Card] = []  # plain new cards, inserted together (``_insert``)
        for line, record in batch:
            self._line(line, record)
        self._insert()

    def _plain_members(self, batch: list[tuple[int, CardRecord]]) -> None:
        """Create at once the members of the batch's plain new cards: the first line of a
        number not stored, without ``replaces``, a number no line of the batch replaces with,
        not waiting. Each such line creates its card, and its member when new (a later line
        for the number updates the card, or is a conflict). Other lines create theirs one by
        one, if at all."""
        replacing = {r.icoca_number for _, r in batch if r.replaces is not None}
        seen, wanted = set(self.cards), set()
        for _, record in batch:
            number = record.icoca_number
            if number in seen:
                continue
            seen.add(number)
            if (
                record.replaces is None and number not in replacing and record.wester_id not in self.members
                and not (self.scratch.waiting_count() and self.scratch.is_waiting(number))
            ):
                wanted.add(record.wester_id)
        if wanted:
            self.members.update(members_get_or_create(wester_ids=wanted))

    def _insert(self) -> None:
        """Insert the new cards waiting (one query), before anything reads or changes them."""
        if self.new_cards:
            Card.objects.bulk_create(self.new_cards)
            self.new_cards = []

    def _line(self, line: int, record: CardRecord) -> None:
        number, replaces = record.icoca_number, record.replaces
        if self.scratch.waiting_count() and self.scratch.is_waiting(number):
            self.scratch.wait(line, record)  # an earlier line for this number waits: keep the order
            return
        card = self.cards.get(number)
        if card is not None or replaces is not None:
            self._insert()
        if card is not None:
            self._update(line, record, card)
            return
        replaced = None
        if replaces is not None:
            replaced = self.cards.get(replaces) or Card.objects.select_related("member").filter(
                icoca_number=replaces
            ).first()
            if replaced is None:
                if self.scratch.first_line("card", replaces) is not None:
                    self.scratch.wait(line, record)
                else:
                    self._reject(
                        line, record,
                        f"unknown card: replaces {replaces}, which is neither in the store nor in this file; "
                        "import that card's line first, then this line again",
                    )
                return
        self._create(line, record, replaced)

    def _create(self, line: int, record: CardRecord, replaced: Card | None) -> None:
        member = self.members.get(record.wester_id)
        if replaced is not None:
            if replaced.member.wester_id != record.wester_id:
                self._reject(line, record, f"replaces {replaced.icoca_number}, a card of a different member")
                return
            successor = Card.objects.filter(replaces=replaced).values_list("icoca_number", flat=True).first()
            if successor is not None:
                self._reject(
                    line, record, f"replaces {replaced.icoca_number}, which card {successor} already replaces"
                )
                return
        if member is None:
            member, _ = member_get_or_create(wester_id=record.wester_id)
            self.members[record.wester_id] = member
        card = Card(
            icoca_number=record.icoca_number, member=member, device=record.device, status=record.status,
            issued_at=record.issued_at, replaces=replaced,
            nickname=replaced.nickname if replaced else "",
            balance=replaced.balance if replaced else None, balance_at=replaced.balance_at if replaced else None,
        )
        if replaced is None:
            self.new_cards.append(card)
        else:
            card.save()
        self.cards[card.icoca_number] = card
        self.imported += 1

    def _update(self, line: int, record: CardRecord, card: Card) -> None:
        if card.member.wester_id != record.wester_id:
            self._reject(
                line, record,
                f"conflict: card {card.icoca_number} belongs to a different member (the stored wester_id is not "
                "this line's); the owner of a card never changes",
            )
            return
        stored_replaces = card.replaces.icoca_number if card.replaces_id else None
        changed = []
        if card.issued_at != record.issued_at:
            changed.append(f"issued_at (stored {utc_text(card.issued_at)}, this line {utc_text(record.issued_at)})")
        if stored_replaces != record.replaces:
            changed.append(f"replaces (stored {stored_replaces}, this line {record.replaces})")
        if changed:
            self._reject(
                line, record,
                f"conflict: card {card.icoca_number} is stored with a different {'; '.join(changed)}; "
                "only device and status of a card change",
            )
            return
        if (card.device, card.status) == (record.device, record.status):
            self.unchanged += 1
            return
        card.device, card.status = record.device, record.status
        card.save(update_fields=["device", "status", "updated_at"])
        self.imported += 1

    def _reject(self, line: int, record: CardRecord, reason: str) -> None:
        self.scratch.reject(line, reason, record_type="card", key=record.icoca_number)


@transaction.atomic
def inherit_balances() -> int:
    """A replacement card shows the newest balance of its own or of the card it replaces
    (repeated along chains of reissues). Returns how many cards changed."""
    changed = 0
    for _ in range(10):
        stale = Card.objects.filter(replaces__balance_at__isnull=False).filter(
            Q(balance_at__isnull=True) | Q(balance_at__lt=F("replaces__balance_at"))
        )
        updated = 0
        for card_id, balance, balance_at in stale.values_list("id", "replaces__balance", "replaces__balance_at"):
            updated += Card.objects.filter(pk=card_id).update(balance=balance, balance_at=balance_at)
        changed += updated
        if not updated:
            break
    return changed

