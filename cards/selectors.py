"""Reads of cards that views, tasks and other apps share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.db import connections, router
from django.db.models import Exists, OuterRef, QuerySet

from cards import passes
from cards.models import Card, CardStatus, CommuterPass, Device, PointsEntry, Refund
from portal import model_rows
from portal.fields import read_datetime

#: Cards a lost-device report stops: in use on the phone, or parked on the server.
SUSPENDABLE_STATUSES = (CardStatus.ACTIVE, CardStatus.DEPOSITED)
#: Cards the member can still use, or will again: shown first on the home page, in this order
#: (the one in use before a deposited or a suspended one).
CURRENT_STATUSES = (CardStatus.ACTIVE, CardStatus.DEPOSITED, CardStatus.SUSPENDED)


def member_has_active_card(member) -> bool:
    return Card.objects.filter(member=member, status=CardStatus.ACTIVE).exists()


def member_cards(member) -> QuerySet[Card]:
    """Every card of ``member``, and no one else's: look a card up in this
    (``public_id``) so another member's card is simply not found (404)."""
    return Card.objects.filter(member=member).select_related("replaced_by", "replaces")


#: The member's card with a given public id, the card it replaced and the card that replaced
#: it: what ``member_cards(member).get(public_id=...)`` read with its two joins, written out
#: because compiling that query was most of its CPU (1.7 ms a card page with the ORM, 0.5 ms
#: with this; 200 reads x 7, medians, 2026-12-06). Up to three rows, in no order.
MEMBER_CARD_SQL = (
    "SELECT {columns} FROM {cards} c WHERE c.id = (SELECT t.id FROM {cards} t WHERE t.member_id = %s AND t.public_id = %s)"
    " OR c.id = (SELECT t.replaces_id FROM {cards} t WHERE t.member_id = %s AND t.public_id = %s)"
    " OR c.replaces_id = (SELECT t.id FROM {cards} t WHERE t.member_id = %s AND t.public_id = %s)"
)


def member_card(member, public_id: uuid.UUID) -> Card | None:
    """The card ``public_id`` of ``member`` (``None`` for another member's or no card), with
    ``card.replaces`` and ``card.replaced_by`` known, as :func:`member_cards`'
    ``select_related`` gives them. One query (:data:`MEMBER_CARD_SQL`)."""
    public_id = uuid.UUID(str(public_id))
    database = router.db_for_read(Card)
    stored = Card._meta.get_field("public_id").get_db_prep_value(public_id, connections[database])  # SQLite: hex
    sql = MEMBER_CARD_SQL.format(cards=Card._meta.db_table, columns=model_rows.columns(Card, "c", using=database))
    found = model_rows.read(Card, sql, [member.pk, stored] * 3, using=database)
    card = next((row for row in found if row.public_id == public_id and row.member_id == member.pk), None)
    if card is None:
        return None
    replaces_field = Card._meta.get_field("replaces")
    replaced_by_rel = replaces_field.remote_field
    replaces = next((row for row in found if row.pk == card.replaces_id), None) if card.replaces_id else None
    replaced_by = next((row for row in found if row.replaces_id == card.pk), None)
    replaces_field.set_cached_value(card, replaces)
    replaced_by_rel.set_cached_value(card, replaced_by)
    if replaces is not None:
        replaced_by_rel.set_cached_value(replaces, card)
    if replaced_by is not None:
        replaces_field.set_cached_value(replaced_by, card)
    return card


@dataclass
class CardFace:
    """A card as the home page shows it."""

    card: Card
    commuter_pass: CommuterPass | None = None  # the pass in use, or the next one to start
    renewal: CommuterPass | None = None  # a pass already bought to follow it
    days_left: int | None = None
    expires_soon: bool = False
    not_started: bool = False  # the pass starts on a later day
    refund: Refund | None = None  # a refunded card's refund (the latest)

    @property
    def is_current(self) -> bool:
        return self.card.status in CURRENT_STATUSES


#: The member's cards, each with its unexpired passes (one row per pass, or one row with no
#: pass), and, when another member holds it, the card that replaced one of them
#: (``card.replaced_by``, with no pass), in no order. Written out rather than built by the ORM:
#: compiling the reverse one-to-one join and the ``IN`` filter was most of マイページ's reads
#: (1.10 ms of CPU for a member with three cards through the ORM, 0.58 ms written out in two
#: statements; 2026-12-07), and one statement rather than two saves a round trip (0.32 ->
#: 0.2 ms). Each part of the union is an index scan (member_id, replaces_id; the passes by
#: card_id): an ``OR`` of the two conditions made PostgreSQL read the whole table (17 ms at
#: 33,033 cards).
MEMBER_FACES_SQL = (
    "SELECT {c}, {p} FROM {cards} c LEFT JOIN {passes} p ON p.card_id = c.id AND p.valid_until >= %s"
    " WHERE c.member_id = %s"
    " UNION ALL SELECT {r}, {no_pass} FROM {cards} r JOIN {cards} t ON r.replaces_id = t.id"
    " WHERE t.member_id = %s AND r.member_id <> %s"
)


def _member_faces_sql() -> str:
    return MEMBER_FACES_SQL.format(
        cards=Card._meta.db_table, passes=CommuterPass._meta.db_table, c=model_rows.columns(Card, "c"),
        p=model_rows.columns(CommuterPass, "p"), r=model_rows.columns(Card, "r"),
        no_pass=", ".join(["NULL"] * len(CommuterPass._meta.concrete_fields)),
    )


def member_card_faces(*, member, today: date) -> list[CardFace]:
    """The member's cards with the pass each one holds today (and a refunded card's refund):
    the cards in use first (active, then deposited, then suspended), then the past ones.
    One query whatever the number of cards (:data:`MEMBER_FACES_SQL`: the cards with their
    unexpired passes and the card that replaced each), a second only when a card was
    refunded; the orders are made here rather than by the database (the rows are few)."""
    rows = model_rows.read_joined((Card, CommuterPass), _member_faces_sql(), [today, member.pk, member.pk, member.pk])
    cards: dict[int, Card] = {}
    replacements: dict[int, Card] = {}
    by_card: dict[int, list[CommuterPass]] = {}
    for card, commuter_pass in rows:
        if card.member_id == member.pk:
            card = cards.setdefault(card.pk, card)  # a card with two passes comes in two rows
            if commuter_pass is not None:
                by_card.setdefault(card.pk, []).append(commuter_pass)
        if card.replaces_id is not None:
            replacements[card.replaces_id] = card
    if not cards:
        return []
    replaced_by_rel = Card._meta.get_field("replaces").remote_field
    for card in cards.values():
        replaced_by_rel.set_cached_value(card, replacements.get(card.pk))  # as select_related("replaced_by")
    refunded = [card.pk for card in cards.values() if card.status == CardStatus.REFUNDED]
    latest_refund: dict[int, Refund] = {}
    for refund in Refund.objects.filter(card_id__in=refunded) if refunded else ():
        latest = latest_refund.get(refund.card_id)
        if latest is None or (refund.refunded_at, refund.pk) > (latest.refunded_at, latest.pk):
            latest_refund[refund.card_id] = refund
    faces = []
    for card in cards.values():
        face = CardFace(card=card)
        unexpired = sorted(by_card.get(card.pk, ()), key=lambda p: (p.valid_from, p.valid_until, p.pk))
        if card.status == CardStatus.REFUNDED:
            face.refund = latest_refund.get(card.pk)
        elif unexpired:
            face.commuter_pass = unexpired[0]
            face.renewal = next((p for p in unexpired[1:] if p.valid_until > face.commuter_pass.valid_until), None)
            face.days_left = passes.days_left(face.commuter_pass.valid_until, today)
            face.not_started = face.commuter_pass.valid_from > today
            face.expires_soon = face.renewal is None and passes.expires_soon(face.commuter_pass.valid_until, today)
        faces.append(face)
    order = {status: rank for rank, status in enumerate(CURRENT_STATUSES)}
    faces.sort(key=lambda f: (order.get(f.card.status, len(order)), f.card.issued_at, f.card.pk))
    return faces


def card_latest_refund(card: Card) -> Refund | None:
    """A refunded card's refund (the latest, should the center have sent more than one)."""
    if card.status != CardStatus.REFUNDED:
        return None
    return card.refunds.select_related("commuter_pass").order_by("-refunded_at", "-id").first()


@dataclass(frozen=True)
class PassLine:
    """A commuter pass as the card page lists it: its ``state`` (``refunded``,
    ``past``, ``current`` or ``upcoming``), the days left and whether it ends soon."""

    commuter_pass: CommuterPass
    state: str
    days_left: int
    expires_soon: bool


#: A card's passes, each with whether a refund paid it back. Written out rather than built by
#: the ORM: compiling the Exists() annotation and its query was about 70 % of the passes'
#: read (1.9 ms of CPU a page with the ORM, 0.6 ms with this; 200 reads x 7, medians,
#: 2026-12-06). The rows are in no order (ordered in Python).
PASS_HISTORY_SQL = (
    "SELECT {columns}, EXISTS (SELECT 1 FROM {refunds} r WHERE r.commuter_pass_id = p.id) AS was_refunded"  # noqa: S105
    " FROM {passes} p WHERE p.card_id = %s"
)


def card_pass_history(card: Card, *, today: date) -> list[PassLine]:
    """Every commuter pass of the card, the latest first (the later id first on the same
    day). A refunded pass, or one on a refunded card that had not ended, is ``refunded``.
    One query (:data:`PASS_HISTORY_SQL`), ordered here: a card's passes are few."""
    sql = PASS_HISTORY_SQL.format(refunds=Refund._meta.db_table, passes=CommuterPass._meta.db_table,
                                  columns=model_rows.columns(CommuterPass, "p"))
    history = sorted(
        model_rows.read(CommuterPass, sql, [card.pk], extra=["was_refunded"]),
        key=lambda commuter_pass: (commuter_pass.valid_from, commuter_pass.pk),
        reverse=True,
    )
    card_field = CommuterPass._meta.get_field("card")
    card_refunded = card.status == CardStatus.REFUNDED
    lines = []
    for commuter_pass in history:
        card_field.set_cached_value(commuter_pass, card)  # as card.commuter_passes did: no query for it
        if commuter_pass.was_refunded or (card_refunded and commuter_pass.valid_until >= today):
            state = "refunded"
        elif commuter_pass.valid_until < today:
            state = "past"
        elif commuter_pass.valid_from > today:
            state = "upcoming"
        else:
            state = "current"
        days_left = passes.days_left(commuter_pass.valid_until, today)
        lines.append(PassLine(commuter_pass, state, days_left, passes.expires_soon(commuter_pass.valid_until, today)))
    return lines


#: The sum of a member's points ledger, written out: the ORM's aggregate cost 0.31 ms of CPU
#: to compile, this 0.08 ms (300 reads, 2026-12-07).
POINTS_BALANCE_SQL = "SELECT COALESCE(SUM(points), 0) FROM {entries} WHERE member_id = %s"


def member_points_balance(member) -> int:
    """The WESTER points balance: the sum of the ledger. One query (:data:`POINTS_BALANCE_SQL`)."""
    database = router.db_for_read(PointsEntry)
    with connections[database].cursor() as cursor:
        cursor.execute(POINTS_BALANCE_SQL.format(entries=PointsEntry._meta.db_table), [member.pk])
        return int(cursor.fetchone()[0])


POINTS_PAGE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PointsLine(NamedTuple):
    """A ledger line as the points page reads it: the columns it shows, not a model instance
    (making a hundred ``PointsEntry`` a page was a fifth of its read)."""

    id: int
    occurred_at: datetime  # aware, UTC (portal.fields.read_datetime)
    kind: str
    points: int
    category: str


@dataclass(frozen=True)
class PointsPage:
    entries: list[PointsLine]
    next_after: str  # where the next (older) page starts; "" when there is none
    position_ignored: bool = False  # ``after`` could not be read: the page starts at the newest


#: A page of a member's points ledger from a time on, newest first (keyset: time, then id),
#: written out: compiling the ORM's query (its filters, the ``Q`` of the position, the order
#: and the slice) was most of the read's CPU.
POINTS_PAGE_SQL = (
    "SELECT id, occurred_at, kind, points, category FROM {entries} WHERE member_id = %s AND occurred_at >= %s"
    "{position} ORDER BY occurred_at DESC, id DESC LIMIT %s"
)
POINTS_POSITION_SQL = " AND (occurred_at < %s OR (occurred_at = %s AND id < %s))"


def member_points_page(member, *, since: datetime, after: str = "", size: int = POINTS_PAGE) -> PointsPage:
    """The member's WESTER points ledger from ``since`` on, newest first, ``size`` lines after
    the position ``after`` (keyset: time, then id; an unreadable position reads from the
    newest). One query (:data:`POINTS_PAGE_SQL`)."""
    connection = connections[router.db_for_read(PointsEntry)]
    occurred_at = PointsEntry._meta.get_field("occurred_at")
    params = [member.pk, occurred_at.get_db_prep_value(since, connection)]
    position = _points_position(after) if after else None
    if position is not None:
        at, pk = position
        stored = occurred_at.get_db_prep_value(at, connection)
        params += [stored, stored, pk]
    params.append(size + 1)
    sql = POINTS_PAGE_SQL.format(
        entries=PointsEntry._meta.db_table, position=POINTS_POSITION_SQL if position is not None else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            PointsLine(pk, read_datetime(at), kind, points, category)
            for pk, at, kind, points, category in cursor.fetchall()
        ]
    ignored = bool(after) and position is None
    if len(rows) <= size:
        return PointsPage(rows, "", ignored)
    last = rows[size - 1]
    micros = (last.occurred_at - _EPOCH) // timedelta(microseconds=1)
    return PointsPage(rows[:size], f"{micros}-{last.id}", ignored)


def _points_position(after: str) -> tuple[datetime, int] | None:
    micros, _, pk = after.partition("-")
    if not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()) or len(micros) > 20:
        return None
    if len(pk) > 18:  # beyond a bigint
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


@dataclass
class DeviceCards:
    """A device and the member's cards on it that a lost-device report stops."""

    device: str
    cards: list[Card] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Device(self.device).label


def member_suspendable_devices(member) -> list[DeviceCards]:
    """The member's devices that hold an active or deposited card, each with
    those cards, in the order of ``Device``."""
    by_device: dict[str, DeviceCards] = {}
    for card in Card.objects.filter(member=member, status__in=SUSPENDABLE_STATUSES).order_by("issued_at", "id"):
        by_device.setdefault(card.device, DeviceCards(device=card.device)).cards.append(card)
    return [by_device[device] for device in Device.values if device in by_device]


def _pass_reminders_due(today: date) -> QuerySet[CommuterPass]:
    later_pass = CommuterPass.objects.filter(card=OuterRef("card"), valid_until__gt=OuterRef("valid_until"))
    return (
        CommuterPass.objects.filter(
            valid_until__gte=today,
            valid_until__lte=today + timedelta(days=passes.EXPIRY_WARNING_DAYS),
            reminder_sent_at__isnull=True,
            card__status__in=CURRENT_STATUSES,
            card__member__is_active=True,
            card__member__email_pass_reminders=True,
        )
        .exclude(card__member__email="")
        .exclude(Exists(later_pass))
    )


def pass_reminders_due(*, today: date) -> list[int]:
    """Ids of the commuter passes whose expiry reminder is due today: the pass
    ends within :data:`passes.EXPIRY_WARNING_DAYS` days, no reminder was sent,
    the card still carries it (not reissued or refunded), no later pass was
    bought for the card, and the member wants the reminder and has an address.
    A day the task did not run is caught up the next day."""
    return list(_pass_reminders_due(today).order_by("id").values_list("id", flat=True))


def pass_reminder_due(*, commuter_pass_id: int, today: date) -> QuerySet[CommuterPass]:
    """The pass, if its reminder is due today (empty otherwise)."""
    return _pass_reminders_due(today).filter(pk=commuter_pass_id)
