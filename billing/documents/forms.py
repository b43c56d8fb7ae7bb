"""Forms of the documents pages: what to print, and the search."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from billing.documents.models import DocumentKind, DocumentLanguage
from billing.documents.wording import active_language as page_language
from cards import payments, window
from cards.masking import mask_icoca_number
from cards.stations import display_name
from cards.window import JAPAN, OutsideWindow, earliest_date
from portal.dateformats import DateFormatter
from portal.money import yen
from portal.widgets import RENDERER


def window_months(today: date) -> list[tuple[str, str]]:
    """The months a member can ask for, newest first: ``("2026-11", "2026年11月")``, in
    English ``("2026-11", "Nov 2026")`` (YEAR_MONTH_FORMAT, as everywhere else)."""
    month_name = DateFormatter("YEAR_MONTH_FORMAT")
    return [(f"{year:04d}-{month:02d}", month_name(date(year, month, 1))) for year, month in window.window_months(today)]


class WindowMonthField(forms.ChoiceField):
    """A month of the window. A month before it (a page left open across a month's
    end) gets the window's own message naming its first day, as the period form does,
    not Django's generic "not one of the choices"."""

    earliest: date | None = None

    def validate(self, value):
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(value or ""))
        if (
            match and self.earliest is not None and 1 <= int(match[2]) <= 12
            and date(int(match[1]), int(match[2]), 1) < self.earliest
        ):
            raise forms.ValidationError(str(OutsideWindow(self.earliest)), code="outside_window")
        super().validate(value)


class DocumentLanguageForm(forms.Form):
    """The language a document is asked for in, the page's by default. A post without the
    field (a page from before it existed) asks in the page's language; any value other
    than ``ja`` or ``en`` is refused."""

    default_renderer = RENDERER
    language = forms.ChoiceField(label=_("書類の言語"), choices=DocumentLanguage.choices, required=False)
    #: The field's HTML id: several of these forms share a page.
    language_id = "id_language"

    def __init__(self, *args, language_id: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = page_language()
        self.fields["language"].widget.attrs["id"] = language_id or self.language_id

    def document_language(self) -> str:
        return self.cleaned_data.get("language") or page_language()


class MonthForm(DocumentLanguageForm):
    month = WindowMonthField(label=_("月"))
    field_order = ["month", "language"]
    language_id = "id_month_language"

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = window_months(today)
        self.fields["month"].earliest = earliest_date(today)
        # The last finished month is the one a receipt is usually wanted for (the
        # month in progress is still open).
        year, month = window.last_month(today)
        self.fields["month"].initial = f"{year:04d}-{month:02d}"

    def year_month(self) -> tuple[int, int]:
        year, month = self.cleaned_data["month"].split("-")
        return int(year), int(month)


class PeriodForm(DocumentLanguageForm):
    start = forms.DateField(label=_("いつから"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("いつまで"), widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["start", "end", "language"]
    language_id = "id_period_language"

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(min=earliest_date(today).isoformat(), max=today.isoformat())


class PaymentSelect(forms.Select):
    """The one-payment picker: a <select> of the payments grouped by month (an <optgroup>
    each), every option with its date, time, what it paid and the amount. Each option
    carries ``data-search``, the words static/js/payment_filter.js matches besides its
    text (the date as 2026-11-03, 11/3 and 11月3日, the amount in digits)."""

    def __init__(self, *args, search: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.search = search or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        words = self.search.get(str(value))
        if words:
            option["attrs"] = {**option["attrs"], "data-search": words}
        return option


class PaymentLabels:
    """The label and search words of each payment of a list, in ``language`` (the active
    one): the words and formats are looked up once for the list, not for every payment."""

    def __init__(self, language: str):
        self.language = language
        self.charge = gettext("チャージ")
        self.commuter_pass = gettext("定期券 %(section)s")
        self.line = gettext("%(at)s %(what)s %(amount)s（%(card)s）")
        self.at = DateFormatter("SHORT_DATETIME_FORMAT")
        self.month = DateFormatter("YEAR_MONTH_FORMAT")
        self.month_line = gettext("%(month)s（%(count)d件）")
        self.cards: dict[int, str] = {}

    def card(self, card) -> str:
        if card.pk not in self.cards:
            self.cards[card.pk] = card.nickname or mask_icoca_number(card.icoca_number)
        return self.cards[card.pk]

    def label(self, payment: payments.CardPayment, at: datetime) -> str:
        """``2026/11/3 08:15 チャージ 3,000円（仕事用）`` / ``3 Nov 2026 08:15 Charge ¥3,000 (Work)``
        (``at``: the payment's time in Japan)."""
        if payment.kind == payments.CHARGE:
            what = self.charge
        else:
            section = payment.commuter_pass
            what = self.commuter_pass % {
                "section": f"{display_name(section.from_station, self.language)}⇔"
                           f"{display_name(section.to_station, self.language)}"
            }
        return self.line % {"at": self.at(at), "what": what, "amount": yen(payment.amount, self.language),
                            "card": self.card(payment.card)}

    def search_words(self, payment: payments.CardPayment, day: date) -> str:
        """What a member may type for this payment besides its label: ``2026-11-03 2026/11/03
        11/3 3000`` (and ``2026年11月3日`` in Japanese, so 11月3日 matches too; English labels
        already read "3 Nov 2026"). The filter matches parts of words. ``day``: its date in Japan."""
        words = f"{day.isoformat()} {day:%Y/%m/%d} {day.month}/{day.day} {payment.amount}"
        if self.language == "ja":
            words += f" {day.year}年{day.month}月{day.day}日"
        return words

    def group(self, year: int, month: int, count: int) -> str:
        """``2026年11月（3件）``."""
        return self.month_line % {"month": self.month(date(year, month, 1)), "count": count}


def payment_choices(found: Iterable[payments.CardPayment]) -> tuple[list, dict[str, str]]:
    """The payments (newest first) as choices grouped by their month in Japan, newest month
    first: ``[("2026年11月（3件）", [(ref, label), ...]), ...]``, and each ref's search words."""
    labels = PaymentLabels(get_language() or "ja")
    months: dict[tuple[int, int], list[tuple[str, str]]] = {}
    search = {}
    for payment in found:
        at = payment.at.astimezone(JAPAN)
        months.setdefault((at.year, at.month), []).append((payment.ref, labels.label(payment, at)))
        search[payment.ref] = labels.search_words(payment, at.date())
    grouped = [(labels.group(year, month, len(options)), options) for (year, month), options in months.items()]
    return grouped, search


class PaymentForm(DocumentLanguageForm):
    payment = forms.ChoiceField(label=_("お支払い"), error_messages={
        "required": _("お支払いを選んでください。"),
        # A payment no longer offered (gone out of the window since the page was opened).
        "invalid_choice": _("このお支払いは選べません。一覧からもう一度選んでください。"),
    })
    field_order = ["payment", "language"]
    language_id = "id_payment_language"

    def __init__(self, *args, card_payments: Iterable[payments.CardPayment], **kwargs):
        super().__init__(*args, **kwargs)
        choices, search = payment_choices(card_payments)
        self.fields["payment"].widget = PaymentSelect(search=search)
        self.fields["payment"].choices = choices


class SearchForm(forms.Form):
    default_renderer = RENDERER
    issued_from = forms.DateField(label=_("発行日（から）"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    issued_to = forms.DateField(label=_("発行日（まで）"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount_min = forms.IntegerField(label=_("金額（円以上）"), required=False, min_value=0)
    amount_max = forms.IntegerField(label=_("金額（円以下）"), required=False, min_value=0)
    kind = forms.ChoiceField(label=_("種類"), required=False,
                             choices=[("", _("すべて")), *DocumentKind.choices])

    def clean(self):
        data = super().clean()
        if data.get("issued_from") and data.get("issued_to") and data["issued_from"] > data["issued_to"]:
            raise forms.ValidationError(_("発行日の範囲は、始めが終わりより前になるように指定してください。"))
        if data.get("amount_min") is not None and data.get("amount_max") is not None and data["amount_min"] > data["amount_max"]:
            raise forms.ValidationError(_("金額の範囲は、下限が上限以下になるように指定してください。"))
        return data


USAGE_SCOPES = [
    ("all", _("乗車・バス・お買い物")),
    ("transit", _("乗車とバスだけ")),
    ("ride", _("乗車だけ")),
    ("bus", _("バスだけ")),
    ("purchase", _("お買い物だけ")),
    ("route", _("2つの駅の間の乗車だけ（どちら向きも）")),
]


class UsageHistoryForm(DocumentLanguageForm):
    """What a 利用履歴証明 covers: a card or all, a period inside the window, the kinds,
    and for ``route`` two stations. Posted from /documents/ and from the history page
    (its filters as hidden fields). Whether a station is known is the service's to say
    (it knows the member's rides)."""

    card = forms.ChoiceField(label=_("カード"), required=False)
    start = forms.DateField(label=_("いつから"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("いつまで"), widget=forms.DateInput(attrs={"type": "date"}))
    scope = forms.ChoiceField(label=_("載せるご利用"), choices=USAGE_SCOPES, initial="all")
    station_a = forms.CharField(label=_("駅（1つめ）"), required=False, max_length=40)
    station_b = forms.CharField(label=_("駅（2つめ）"), required=False, max_length=40)
    field_order = ["card", "start", "end", "scope", "station_a", "station_b", "language"]
    language_id = "id_usage_language"

    def __init__(self, *args, today: date, cards: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["card"].choices = [("", _("すべてのカード")), *cards]
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(min=earliest_date(today).isoformat(), max=today.isoformat())
        for name in ("station_a", "station_b"):
            self.fields[name].widget.attrs.update(autocomplete="off", placeholder=_("例: 大阪"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("期間の終わりは始めと同じか、それより後の日付にしてください。"))
            elif end > self.today:
                self.add_error("end", _("期間の終わりは今日までの日付にしてください。"))
            else:
                try:
                    window.check_in_window(start, self.today)
                except OutsideWindow as error:
                    self.add_error("start", str(error))
        if data.get("scope") == "route":
            a, b = (data.get("station_a") or "").strip(), (data.get("station_b") or "").strip()
            if not a:
                self.add_error("station_a", _("駅を入力してください。"))
            if not b:
                self.add_error("station_b", _("駅を入力してください。"))
            if a and b and a == b:
                self.add_error("station_b", _("2つの駅には、違う駅を指定してください。"))
            data["stations"] = (a, b)
        else:
            data["stations"] = None
        return data


class ShownFields:
    """A form's fields as /documents/ shows them, each written once in Python:
    ``{{ fields.month }}`` is ``<div class="field"><label for="…">…</label>(widget)(errors)</div>``,
    the language field's div is ``field doc-language`` (as
    billing/_document_language_field.html writes it), ``fields.every`` is every
    field in order (the search form's loop) and ``fields.errors`` the form's own errors in their
    alert. The same markup as the template's, looked up once instead of four lookups a field
    (the id, the label, the widget, the errors), each escaped as the template escaped it."""

    def __init__(self, form: forms.Form):
        self.form = form

    def __getitem__(self, name: str) -> SafeString:
        field = self.form[name]
        return format_html(
            '<div class="{}"><label for="{}">{}</label>{}{}</div>',
            "field doc-language" if name == "language" else "field", field.id_for_label, field.label, field,
            field.errors,
        )

    @property
    def every(self) -> SafeString:
        return SafeString("".join(self[name] for name in self.form.fields))

    @property
    def errors(self) -> SafeString:
        errors = self.form.non_field_errors()
        if not errors:
            return SafeString("")
        items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
        return SafeString(f'<div role="alert"><ul class="errorlist">{items}</ul></div>')


#: The fields of the forms nothing of the member's is in, unbound (the month, the period,
#: the search), by form, language and arguments (the day): see :func:`unbound_fields`.
_UNBOUND: dict[tuple, dict[str, SafeString]] = {}


def unbound_fields(form_class: type[forms.Form], **kwargs) -> dict[str, SafeString]:
    """What :class:`ShownFields` gives for ``form_class(**kwargs)`` unbound, made once a
    process for each language and ``kwargs`` (``today``: the month form's months and the
    period's bounds change with the day) rather than on every page: these forms' HTML
    depends on nothing else (not the member, not the request). ``fields[name]``,
    ``fields["every"]``, ``fields["errors"]`` (empty). The payment and usage history forms
    take the fields that are not the member's (the language, the dates, the kinds) from
    here, with ``card_payments`` and ``cards`` empty, and make only their own."""
    key = (form_class, get_language(), repr(sorted(kwargs.items())))
    shown = _UNBOUND.get(key)
    if shown is None:
        fields = ShownFields(form_class(**kwargs))
        shown = {name: fields[name] for name in fields.form.fields}
        shown.update(every=fields.every, errors=fields.errors)
        if len(_UNBOUND) >= 64:  # days gone by
            _UNBOUND.clear()
        _UNBOUND[key] = shown
    return shown


def member_fields(form: forms.Form, own: str, unbound: dict[str, SafeString]) -> dict[str, SafeString]:
    """An unbound form whose field ``own`` is the member's (their payments, their cards): that
    field made from ``form``, the others taken from ``unbound`` (:func:`unbound_fields` of the
    same form without the member's choices)."""
    return {**unbound, own: ShownFields(form)[own]}
