"""/points/'s ledger lines, written in Python for speed (cards/points_rendering.py), are the
markup points.html's loop wrote, byte for byte; and the page's ledger is read with
POINTS_PAGE_SQL, not a query the ORM compiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.template import Context, Engine
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.tests.factories import MemberFactory
from cards import selectors
from cards.history.formatting import signed_points
from cards.models import PointsCategory, PointsEntry, PointsKind
from cards.points_rendering import points_format, points_items
from cards.tests.factories import PointsEntryFactory

pytestmark = pytest.mark.django_db

# points.html's loop as it was before cards/points_rendering.py, with what the view's
# points_lines gave it written as the filters and model methods it stood for.
REFERENCE = """{% load i18n tz %}{% translate "ポイント" as points_word %}{% for line in lines %}
      <li class="line line--points">
        <span class="line__when"><time datetime="{{ line.entry.occurred_at|date:'c' }}">{{ line.entry.occurred_at|timezone:"Asia/Tokyo"|date:"SHORT_DATETIME_FORMAT" }}</time></span>
        <span class="line__kind"><span class="kind kind--points-{{ line.entry.kind }}">{{ line.entry.get_kind_display }}</span></span>
        <span class="line__what">{% if line.entry.category_label %}<span class="line__detail">{{ line.entry.category_label }}</span>{% endif %}</span>
        <span class="line__amount num{% if line.entry.points > 0 %} num--plus{% endif %}"><span class="vh">{{ points_word }} </span>{{ line.shown }}</span>
      </li>
      {% endfor %}"""

SINCE = datetime(2025, 12, 1, tzinfo=UTC)


def reference(entries: list[PointsEntry]) -> str:
    lines = [{"entry": entry, "shown": signed_points(entry.points)} for entry in entries]
    return Engine.get_default().from_string(REFERENCE).render(Context({"lines": lines}))


def lines_of_every_kind(member) -> None:
    """Every kind and category (an unknown one, none), a kind the center may send one day
    (with markup), figures above, at and below zero, times with and without microseconds,
    across midnight in Japan and three lines at one time."""
    at = datetime(2026, 11, 24, 14, 59, 59, tzinfo=UTC)  # 23:59:59 in Japan
    categories = [*PointsCategory.values, "", "mystery_2027"]
    figures = [128, -500, 0, 1_234_567, -3]
    for number, category in enumerate(categories):
        for kind in PointsKind.values:
            PointsEntryFactory(member=member, kind=kind, category=category, points=figures[number % len(figures)],
                               occurred_at=at - timedelta(hours=7 * number, seconds=len(kind)))
    PointsEntryFactory(member=member, kind="<b>&'\"", category="campaign", points=5,
                       occurred_at=at + timedelta(seconds=1, microseconds=456789))
    for points in (1, 2, 3):
        PointsEntryFactory(member=member, kind=PointsKind.EARN, points=points, occurred_at=at + timedelta(minutes=1))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_lines_are_the_markup_the_template_wrote(language):
    member = MemberFactory()
    lines_of_every_kind(member)
    PointsEntryFactory(points=77)  # another member's
    page = selectors.member_points_page(member, since=SINCE)
    entries = list(PointsEntry.objects.filter(member=member).order_by("-occurred_at", "-pk"))
    assert [line.id for line in page.entries] == [entry.pk for entry in entries] and len(entries) == 36

    with translation.override(language):
        assert str(points_items(page.entries)) == reference(entries)


def test_no_line_nothing():
    assert points_items([]) == ""


def test_the_words_and_formats_are_made_once_per_language():
    with translation.override("ja"):
        japanese = points_format()
        assert points_format() is japanese
    with translation.override("en"):
        english = points_format()
    assert english is not japanese
    assert (japanese.points_word, english.points_word) == ("ポイント", "Points")


def test_the_ledger_is_read_without_compiling_a_query(monkeypatch):
    """POINTS_PAGE_SQL: the member's lines from ``since`` on, newest first, the later id first
    at one time, page after page by the position; one query each, none the ORM compiles."""
    member = MemberFactory()
    lines_of_every_kind(member)
    PointsEntryFactory(member=member, points=9, occurred_at=SINCE - timedelta(microseconds=1))  # before the window
    PointsEntryFactory(points=77)  # another member's
    expected = list(
        PointsEntry.objects.filter(member=member, occurred_at__gte=SINCE)
        .order_by("-occurred_at", "-pk")
        .values_list("pk", "occurred_at", "kind", "points", "category")
    )
    compiled = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(self) or as_sql(self, *a, **k))

    seen, after = [], ""
    with CaptureQueriesContext(connection) as queries:
        while True:
            page = selectors.member_points_page(member, since=SINCE, after=after, size=10)
            assert not page.position_ignored
            seen += page.entries
            if not page.next_after:
                break
            after = page.next_after
        unread = selectors.member_points_page(member, since=SINCE, after="1-x", size=10)

    assert [tuple(line) for line in seen] == expected and len(expected) == 36
    assert all(line.occurred_at.utcoffset() == timedelta(0) for line in seen)
    assert unread.position_ignored and [tuple(line) for line in unread.entries] == expected[:10]
    assert len(queries) == 5 and not compiled
