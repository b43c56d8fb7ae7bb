"""Reads for the support center: the one-box member search and what the
member page shows. Every read is bounded (a LIMIT or one member's rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from allauth.usersessions.models import UserSession
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Reverse

from accounts.models import AuditEvent, Member
from billing.models import Document, PaymentMethod
from cards.models import Card, CardStatus, CommuterPass, FeedImport, FeedReject, PointsEntry, Refund, UsageRecord
from cards.window import (
    earliest_date,
    japan_days_bounds,
    japan_midnight,
    japan_month_bounds,
    japan_today,
    window_months,
)
from support import roles
from support.audit_words import audit_words

SEARCH_LIMIT = 50  # members a search may return: a caller is one person
USAGE_PAGE = 20
DOCUMENTS_SHOWN = 30
AUDIT_SHOWN = 50

FULL_NUMBER = re.compile(r"^JW[0-9A-Z]{15}$")
NUMBER_TAIL = re.compile(r"^[0-9A-Z]{4,6}$")
ROMAJI_TERM = re.compile(r"^[A-Za-z]{2,}( [A-Za-z]{2,})?$")


@dataclass(frozen=True)
class SearchKind:
    """What a search term was taken for (shown above the results)."""

    code: str
    label: str


WESTER_ID = SearchKind("wester_id", "WESTER ID")
ICOCA_NUMBER = SearchKind("icoca_number", "ICOCA番号")
ICOCA_TAIL = SearchKind("icoca_tail", "ICOCA番号の末尾")
EMAIL = SearchKind("email", "メールアドレス")
NAME = SearchKind("name", "氏名")
ROMAJI = SearchKind("romaji", "氏名（ローマ字）")


def _clean(term: str) -> str:
    # Full-width letters, digits and spaces (typed on a Japanese keyboard) → half-width.
    term = (term or "").strip().translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return " ".join(term.replace("\u3000", " ").split())


def search_kinds(term: str) -> list[SearchKind]:
    """Which keys a term is tried against, in that order."""
    term = _clean(term)
    if not term:
        return []
    upper = term.upper().replace(" ", "").replace("-", "")
    if FULL_NUMBER.match(upper):
        return [ICOCA_NUMBER]
    kinds = [WESTER_ID]
    if "@" in term:
        return [*kinds, EMAIL]
    if NUMBER_TAIL.match(upper):
        kinds.append(ICOCA_TAIL)
    if ROMAJI_TERM.match(term):
        kinds.append(ROMAJI)
    kinds.append(NAME)
    return kinds


def _members_of_cards(cards: QuerySet[Card]) -> list[int]:
    return list(cards.order_by().values_list("member_id", flat=True).distinct()[:SEARCH_LIMIT])


def _name_ids(term: str, base: QuerySet[Member]) -> list[int]:
    if len(term) >= 3 or connection.vendor != "postgresql":
        # A part of the name anywhere: the trigram index (member_name_trgm).
        matches = base.filter(name__contains=term)
    else:
        # One or two characters (a family or given name such as 山田, 花子):
        # a prefix of the name (member_name_prefix) or a whole word of it
        # (strict word similarity through member_name_trgm).
        word = RawSQL('%s <<%% "accounts_member"."name"', [term], output_field=BooleanField())
        matches = base.filter(Q(name__startswith=term) | Q(word))
    return list(matches.order_by().values_list("pk", flat=True)[:SEARCH_LIMIT])


def _romaji_ids(term: str, base: QuerySet[Member]) -> list[int]:
    """HANAKO, Yamada, yamada hanako, HANAKO YAMADA, YAMA: the romaji family
    and given names WESTER ID gives, by prefix of each word, case aside
    (``member_last_name_upper`` / ``member_first_name_upper`` on PostgreSQL)."""
    words = [word.upper() for word in term.split()]

    def starts(field: str, word: str) -> RawSQL:
        # upper(field) LIKE 'WORD%': the expression the indexes are built on.
        return RawSQL(f'upper("accounts_member"."{field}") LIKE %s', [word + "%"], output_field=BooleanField())  # noqa: S611 (field: one of two names)

    if len(words) == 1:
        condition = Q(starts("last_name", words[0])) | Q(starts("first_name", words[0]))
    else:
        first, second = words
        condition = (Q(starts("last_name", first)) & Q(starts("first_name", second))) | (
            Q(starts("first_name", first)) & Q(starts("last_name", second))
        )
    return list(base.filter(condition).order_by().values_list("pk", flat=True)[:SEARCH_LIMIT])


def member_search_ids(term: str, *, base: QuerySet[Member] | None = None) -> tuple[list[int], list[SearchKind]]:
    """The ids of the members a term finds (at most ``SEARCH_LIMIT``), and
    what the term was taken for. ``base`` is the members the caller may see."""
    term = _clean(term)
    kinds = search_kinds(term)
    base = base if base is not None else members_visible()
    upper = term.upper().replace(" ", "").replace("-", "")
    ids: list[int] = []
    for kind in kinds:
        if kind is ICOCA_NUMBER:
            found = _members_of_cards(Card.objects.filter(icoca_number=upper))
        elif kind is WESTER_ID:
            found = list(base.filter(wester_id=term).values_list("pk", flat=True)[:1])
        elif kind is ICOCA_TAIL:
            found = _members_of_cards(
                Card.objects.annotate(reversed_number=Reverse("icoca_number")).filter(
                    reversed_number__startswith=upper[::-1]
                )
            )
        elif kind is ROMAJI:
            found = _romaji_ids(term, base)
        elif kind is EMAIL:
            found = list(base.filter(email__icontains=term).order_by().values_list("pk", flat=True)[:SEARCH_LIMIT])
        else:
            found = _name_ids(term, base)
        ids += [pk for pk in found if pk not in ids]
    if ids and (ICOCA_NUMBER in kinds or ICOCA_TAIL in kinds):  # card holders: only those the caller may see
        visible = set(base.filter(pk__in=ids).values_list("pk", flat=True))
        ids = [pk for pk in ids if pk in visible]
    return ids[:SEARCH_LIMIT], kinds


def members_visible() -> QuerySet[Member]:
    """Members, never staff accounts: support sees the people who hold cards."""
    return Member.objects.filter(wester_id__isnull=False, is_staff=False, is_superuser=False)


# --- The member page ------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageCursor:
    occurred_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.occurred_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> UsageCursor | None:
        if not value:
            return None
        try:
            when, pk = value.rsplit("~", 1)
            occurred_at = datetime.fromisoformat(when)
            if occurred_at.tzinfo is None:
                return None
            return cls(occurred_at, int(pk))
        except ValueError:
            return None


@dataclass(frozen=True)
class UsageFilter:
    """The member page's usage filter: one of the member's cards (its id) and
    one month (``YYYY-MM``) inside the window, either or both; anything else
    in the query string is ignored."""

    card_id: int | None = None
    month: tuple[int, int] | None = None

    @classmethod
    def parse(cls, query, *, card_ids: list[int], months: list[tuple[int, int]]) -> UsageFilter:
        card_id = None
        try:
            wanted = int(query.get("card") or 0)
        except (TypeError, ValueError):
            wanted = 0
        if wanted in card_ids:
            card_id = wanted
        month = None
        found = re.fullmatch(r"(\d{4})-(\d{2})", (query.get("month") or "").strip())
        if found and (int(found[1]), int(found[2])) in months:
            month = (int(found[1]), int(found[2]))
        return cls(card_id, month)

    @property
    def month_value(self) -> str:
        return f"{self.month[0]:04d}-{self.month[1]:02d}" if self.month else ""

    @property
    def active(self) -> bool:
        return self.card_id is not None or self.month is not None

    def query(self) -> str:
        parts = []
        if self.card_id is not None:
            parts.append(f"card={self.card_id}")
        if self.month is not None:
            parts.append(f"month={self.month[0]:04d}-{self.month[1]:02d}")
        return "&".join(parts)


def member_usage(
    card_ids: list[int], *, before: UsageCursor | None, today=None, usage_filter: UsageFilter | None = None
) -> tuple[list[UsageRecord], UsageCursor | None]:
    """One page of the member's latest usage over all their cards (or one
    card, one month), newest first, keyset-paged on (occurred_at, id) inside
    the document window."""
    if usage_filter is not None and usage_filter.card_id is not None:
        card_ids = [pk for pk in card_ids if pk == usage_filter.card_id]
    if not card_ids:
        return [], None
    start = japan_midnight(earliest_date(today or japan_today()))
    rows = UsageRecord.objects.filter(card_id__in=card_ids, occurred_at__gte=start)
    if usage_filter is not None and usage_filter.month is not None:
        month_start, month_end = japan_month_bounds(*usage_filter.month)
        rows = rows.filter(occurred_at__gte=max(start, month_start), occurred_at__lt=month_end)
    if before is not None:
        rows = rows.filter(
            Q(occurred_at__lt=before.occurred_at) | Q(occurred_at=before.occurred_at, id__lt=before.id)
        )
    page = list(rows.order_by("-occurred_at", "-id")[: USAGE_PAGE + 1])
    following = None
    if len(page) > USAGE_PAGE:
        page = page[:USAGE_PAGE]
        following = UsageCursor(page[-1].occurred_at, page[-1].id)
    return page, following


POINTS_SHOWN = 10


@dataclass(frozen=True)
class CardRow:
    """A card as the member page shows it: its number as this staff member may
    see it, and a refunded card's latest refund (shown instead of a balance)."""

    card: Card
    shown_number: str
    last_refund: Refund | None = None

    @property
    def label(self) -> str:
        return self.card.nickname or self.shown_number


@dataclass(frozen=True)
class OnCard:
    """A pass, a usage line or a refund, with the card it belongs to."""

    item: CommuterPass | UsageRecord | Refund
    card: CardRow


@dataclass(frozen=True)
class AuditLine:
    """An audit entry in words; ``reason_shown``: a person's reason (a
    registration's reason is a code, already in the words)."""

    event: AuditEvent
    words: str
    reason_shown: str = ""

    @classmethod
    def of(cls, event: AuditEvent) -> AuditLine:
        reason = "" if event.action.startswith("payment_registration.") else event.reason
        return cls(event, audit_words(event.action, event.detail, event.reason), reason)


def member_page(
    member: Member, *, user, usage_before: UsageCursor | None = None, usage_query=None
) -> dict[str, object]:
    """Everything the member page shows, each part only when ``user`` may see
    it. ``usage_query``: the request's query string (the usage filter)."""
    cards = list(Card.objects.filter(member=member).order_by("issued_at", "id"))
    card_ids = [card.pk for card in cards]
    full_number = roles.sees_full_icoca_number(user)
    refunded = [card.pk for card in cards if card.status == CardStatus.REFUNDED]
    last_refund = {r.card_id: r for r in Refund.objects.filter(card_id__in=refunded).order_by("refunded_at", "id")}
    rows = [
        CardRow(card, card.icoca_number if full_number else card.masked_number, last_refund.get(card.pk))
        for card in cards
    ]
    by_id = {row.card.pk: row for row in rows}
    page: dict[str, object] = {"full_number": full_number, "sees_staff_audit": roles.sees_staff_audit(user)}
    if user.has_perm("cards.view_card"):
        page["cards"] = rows
    if user.has_perm("cards.view_commuterpass"):
        passes = CommuterPass.objects.filter(card_id__in=card_ids).order_by("-valid_until", "-id")[:20]
        page["passes"] = [OnCard(p, by_id[p.card_id]) for p in passes]
    if user.has_perm("cards.view_usagerecord"):
        months = window_months(japan_today())
        usage_filter = UsageFilter.parse(usage_query or {}, card_ids=card_ids, months=months)
        usage, following = member_usage(card_ids, before=usage_before, usage_filter=usage_filter)
        page["usage"], page["usage_next"] = [OnCard(r, by_id[r.card_id]) for r in usage], following
        page["usage_filter"], page["usage_months"] = usage_filter, [f"{y:04d}-{m:02d}" for y, m in months]
    if user.has_perm("cards.view_pointsentry"):
        page["points_balance"] = PointsEntry.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0
        page["points"] = list(PointsEntry.objects.filter(member=member).order_by("-occurred_at", "-id")[:POINTS_SHOWN])
    if user.has_perm("billing.view_paymentmethod"):
        page["payment_methods"] = list(
            PaymentMethod.objects.filter(member=member).order_by("removed_at", "-is_default", "-created_at")[:20]
        )
    if user.has_perm("billing.view_document"):
        page["documents"] = list(
            Document.objects.filter(member=member).order_by("-requested_at", "-id")[:DOCUMENTS_SHOWN]
        )
    if user.has_perm("cards.view_refund"):
        refunds = Refund.objects.filter(card_id__in=card_ids).order_by("-refunded_at", "-id")[:20]
        page["refunds"] = [OnCard(f, by_id[f.card_id]) for f in refunds]
    if user.has_perm("accounts.view_member"):
        page["sessions"] = list(UserSession.objects.filter(user=member).order_by("-last_seen_at")[:20])
    if user.has_perm("accounts.view_auditevent"):
        page["audit"] = [AuditLine.of(event) for event in member_audit(member, user=user)[:AUDIT_SHOWN]]
    return page


def member_audit(member: Member, *, user) -> QuerySet[AuditEvent]:
    """The member's audit trail. An agent sees what the member, the system and
    they themselves did; the entries of other staff (their views and actions)
    are for supervisors (``support.view_staff_audit``)."""
    events = AuditEvent.objects.filter(member=member).select_related("actor").order_by("-at", "-id")
    if not roles.sees_staff_audit(user):
        events = events.filter(Q(actor__isnull=True) | Q(actor=member) | Q(actor=user) | Q(actor__is_staff=False))
    return events


READS_SHOWN = 500


def staff_reads(*, wester_id: str, staff: str, since, until) -> tuple[list[AuditLine] | None, Member | None]:
    """Staff reads (``support.member_view``) of one member, or by one staff
    account, between two Japan dates (both included), newest first, at most
    ``READS_SHOWN``: (reads, whose) or (None, None) when nobody has that key.
    Indexes: ``audit_member_at`` for a member, ``audit_actor_at`` for staff."""
    start, end = japan_days_bounds(since, until)
    reads = AuditEvent.objects.filter(action="support.member_view", at__gte=start, at__lt=end)
    if wester_id:
        subject = members_visible().filter(wester_id=wester_id).first()
        reads = reads.filter(member=subject, actor__is_staff=True)
    else:
        subject = Member.objects.filter(username=staff, is_staff=True).first()
        reads = reads.filter(actor=subject)
    if subject is None:
        return None, None
    shown = reads.select_related("actor", "member").order_by("-at", "-id")[:READS_SHOWN]
    return [AuditLine.of(event) for event in shown], subject


RECENT_IMPORTS = 50


def feed_imports() -> QuerySet[FeedImport]:
    """The feed imports, newest first."""
    return FeedImport.objects.order_by("-started_at", "-id")


def feed_rejects(term: str, *, recent_only: bool = True) -> QuerySet[FeedReject]:
    """Rejected lines of the last ``RECENT_IMPORTS`` feed files (or of every
    file), newest first, by record id or ICOCA number (anywhere in the line)."""
    rejects = FeedReject.objects.select_related("feed_import").order_by("-feed_import_id", "line_number")
    if recent_only:
        recent = list(feed_imports().values_list("pk", flat=True)[:RECENT_IMPORTS])
        rejects = rejects.filter(feed_import_id__in=recent)
    term = _clean(term)
    if term:
        rejects = rejects.filter(Q(record_key=term) | Q(record_key=term.upper()) | Q(line__contains=term.upper()))
    return rejects
