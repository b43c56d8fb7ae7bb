"""The query parameters of /history/ and /history/export.csv, as a form.

``card`` (a card's public id), ``month`` (YYYY-MM) or ``from``/``to``
(YYYY-MM-DD, Japan dates), ``kind`` and ``after`` (the opaque position of the
next page). Every period must lie in the document window: a request reaching
further back is refused with the earliest date, never silently shortened.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from html import escape

from django import forms
from django.core import signing
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from cards import window
from cards.history.selectors import HISTORY_KINDS, MemberCards, Position
from cards.window import OutsideWindow, check_in_window, earliest_date
from portal.widgets import render_input

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CURSOR_SALT = "cards.history.cursor"
# The Japanese names are accepted too (?kind=乗車), as people write them.
KIND_ALIASES = {
    "乗車": "ride",
    "バス": "bus",
    "買い物": "purchase",
    "チャージ": "charge",
    "ポイントチャージ": "point_charge",
    "定期券": "pass",
    "払いもどし": "refund",
    "調整": "adjustment",
}


class BadCursor(ValueError):
    pass


def encode_cursor(position: Position) -> str:
    """An opaque, signed token for ``?after=``."""
    micros = (
        int((position.occurred_at - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000
        + position.occurred_at.microsecond
    )
    return signing.dumps([micros, position.source, position.id], salt=CURSOR_SALT, compress=False)


def decode_cursor(token: str) -> Position:
    try:
        micros, source, pk = signing.loads(token, salt=CURSOR_SALT)
        seconds, rest = divmod(int(micros), 1_000_000)
        occurred_at = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest)
        return Position(occurred_at, int(source), int(pk))
    except (signing.BadSignature, TypeError, ValueError, OverflowError, OSError) as error:
        raise BadCursor(str(error)) from error


def japan_date(value: date) -> str:
    """``2025年12月1日``, ``1 Dec 2025`` (portal/formats/)."""
    return date_format(value, "DATE_FORMAT")


def month_label(year: int, month: int) -> str:
    """``2026年9月``, ``Sep 2026`` (portal/formats/)."""
    return date_format(date(year, month, 1), "YEAR_MONTH_FORMAT")


def window_message(earliest: date) -> str:
    return str(OutsideWindow(earliest))


def window_months(today: date) -> list[tuple[str, str]]:
    """The months of the window, newest first, as ``(YYYY-MM, label)``."""
    return [(f"{year:04d}-{month:02d}", month_label(year, month)) for year, month in window.window_months(today)]


class JapanDateInput(forms.DateInput):
    """``<input type="date">``, written by portal.widgets rather than by Django's widget
    templates (input.html with attrs.html: two template renders a field, about a millisecond
    a page for 開始日 and 終了日); the markup is theirs, byte for byte."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        return render_input(self.get_context(name, value, attrs)["widget"])


class HistoryFilterForm(forms.Form):
    """Bind it to ``request.GET``. ``cleaned_data`` then holds ``card`` (a
    Card or None), ``first_day``/``last_day`` (Japan dates; ``last_day`` None
    = up to now), ``kinds`` (a set or None) and ``after`` (a Position or None)."""

    card = forms.CharField(label=_("カード"), required=False, widget=forms.Select)
    month = forms.CharField(label=_("月"), required=False, widget=forms.Select)
    kind = forms.CharField(label=_("種別"), required=False, widget=forms.Select)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, cards: MemberCards, today: date, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.member_cards = cards
        self.today = today
        self.earliest = earliest_date(today)
        # ``from`` and ``to`` are Python keywords: added by name.
        date_error = {"invalid": _("日付は2026-11-20のように、年-月-日の形で指定してください。")}
        self.fields["from"] = forms.DateField(
            label=_("開始日"), required=False, input_formats=["%Y-%m-%d"], error_messages=date_error,
            widget=JapanDateInput(attrs={"min": self.earliest.isoformat(), "max": today.isoformat()}),
        )
        self.fields["to"] = forms.DateField(
            label=_("終了日"), required=False, input_formats=["%Y-%m-%d"], error_messages=date_error,
            widget=JapanDateInput(attrs={"min": self.earliest.isoformat(), "max": today.isoformat()}),
        )
        self.order_fields(["card", "month", "from", "to", "kind"])
        self.fields["card"].widget.choices = [
            ("", _("すべてのカード")),
            *((str(card.public_id), card_label(card, reissued=len(cards.chain(card)) > 1)) for card in cards.current),
        ]
        self.fields["month"].widget.choices = [("", _("指定しない")), *_window_months(get_language(), today)]
        self.fields["kind"].widget.choices = [("", _("すべて")), *HISTORY_KINDS.items()]

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].id_for_label}-errors"}
                )

    def clean_card(self):
        value = self.cleaned_data["card"].strip()
        if not value:
            return None
        # The view answers 404 before binding for a card that is not the
        # member's; this is a second line of defence.
        card = self.member_cards.by_public_id(value)
        if card is None:
            raise forms.ValidationError(_("このカードは見つかりません。"))
        return card

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        found = MONTH.match(value)
        if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
            raise forms.ValidationError(_("月は2026-11のように、年-月の形で指定してください。"))
        return int(found.group(1)), int(found.group(2))

    def clean_kind(self):
        value = self.cleaned_data["kind"].strip()
        if not value:
            return None
        value = KIND_ALIASES.get(value, value)
        if value not in HISTORY_KINDS:
            raise forms.ValidationError(
                _("種別「%(kind)s」はありません。一覧から選んでください。"),
                params={"kind": self.data.get("kind", "")[:40]},
            )
        return value

    def clean_after(self):
        value = self.cleaned_data["after"].strip()
        if not value:
            return None
        try:
            return decode_cursor(value)
        except BadCursor:
            raise forms.ValidationError(
                _("ページの指定が正しくありません。お手数ですが最初のページから表示し直してください。")
            ) from None

    def clean(self):
        data = super().clean()
        month, start, end = data.get("month"), data.get("from"), data.get("to")
        if month and (start or end):
            raise forms.ValidationError(_("「月」と「開始日・終了日」は、どちらか一方だけを指定してください。"))
        if month:
            year, number = month
            first_day = date(year, number, 1)
            next_month = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
            last_day = date.fromordinal(next_month.toordinal() - 1)
            self._check_window("month", first_day)
        else:
            first_day, last_day = start or self.earliest, end
            if start:
                self._check_window("from", start)
            if end and not self.has_error("from"):
                self._check_window("to", end)
            if start and end and end < start and not self.errors:
                self.add_error("to", _("終了日は開始日と同じか、それより後の日付を指定してください。"))
        data["first_day"], data["last_day"] = first_day, last_day
        data["kinds"] = None if not data.get("kind") else {data["kind"]}
        return data

    def _check_window(self, field_name: str, day: date) -> None:
        try:
            check_in_window(day, self.today)
        except OutsideWindow as error:
            self.add_error(field_name, window_message(error.earliest))

    def _options(self, name: str, selected: str) -> SafeString:
        """A select's ``<option>`` elements, ``selected`` marked: written here, cheaper
        than Django's widget templates and than a template loop over the options. The kinds'
        and the months' are the same for every member on a day: escaped once per language
        and day (:func:`option_parts`); a member's cards each time."""
        key = None if name == "card" else (name, get_language(), self.today)
        return mark_safe(  # noqa: S308 (every value escaped)
            "".join(
                f'{start}{" selected" if value == selected else ""}{end}'
                for value, start, end in option_parts(self.fields[name].widget.choices, key)
            )
        )

    def _raw(self, name: str) -> str:
        return str(self.data.get(name) or "").strip() if self.is_bound else ""

    @property
    def card_options(self):
        return self._options("card", self._raw("card"))

    @property
    def kind_options(self):
        raw = self._raw("kind")
        return self._options("kind", KIND_ALIASES.get(raw, raw))

    @property
    def month_options(self):
        return self._options("month", self._raw("month"))

    @property
    def period_fields(self):
        return [self["from"], self["to"]]

    def summary(self) -> list[str]:
        """The filters in force, in words, for the collapsed filter panel."""
        if not self.is_bound or self.errors:
            return []
        data, parts = self.cleaned_data, []
        if data["card"]:
            parts.append(data["card"].nickname or data["card"].masked_number)
        if data["kind"]:
            parts.append(str(HISTORY_KINDS[data["kind"]]))
        if data["month"]:
            year, month = data["month"]
            parts.append(month_label(year, month))
        elif data.get("from") or data.get("to"):
            start = date_format(data["from"], "SHORT_DATE_FORMAT") if data.get("from") else ""
            end = date_format(data["to"], "SHORT_DATE_FORMAT") if data.get("to") else ""
            parts.append(f"{start}〜{end}")
        return parts

    def query_string(self, **changes) -> str:
        """The filters as they were given (valid ones), for links: the next
        page, the CSV export."""
        from django.http import QueryDict

        query = QueryDict(mutable=True)
        for name in ("card", "month", "from", "to", "kind"):
            value = (self.data.get(name) or "").strip()
            if value:
                query[name] = value
        for name, value in changes.items():
            if value:
                query[name] = value
            else:
                query.pop(name, None)
        return query.urlencode()


_option_parts: dict[tuple, tuple[tuple[str, str, str], ...]] = {}


def option_parts(choices, key: tuple | None = None) -> tuple[tuple[str, str, str], ...]:
    """Each choice as ``(value, '<option value="…"', '>label</option>')``, escaped; kept under
    ``key`` (choices that are a function of it) for the process, a few a day."""
    found = _option_parts.get(key) if key is not None else None
    if found is not None:
        return found
    parts = tuple(
        (value, f'<option value="{escape(value)}"', f">{escape(str(label))}</option>") for value, label in choices
    )
    if key is not None:
        if len(_option_parts) >= 64:
            _option_parts.clear()
        _option_parts[key] = parts
    return parts


@lru_cache(maxsize=8)
def _window_months(language: str, today: date) -> tuple[tuple[str, str], ...]:
    return tuple(window_months(today))


def card_label(card, *, reissued: bool = False) -> str:
    name = card.nickname or "ICOCA"
    label = gettext("%(name)s（%(number)s）") % {"name": name, "number": card.masked_number}
    if reissued:
        label += gettext("・再発行前を含む")
    return label
