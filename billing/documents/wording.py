"""What a document says around its figures, in the document's language.

The words are translated with gettext like the pages (locale/en), so there is one
template per document kind (templates/pdf/) and no table of labels per language here.
Every function reads the active language: the renderer calls them inside
``translation.override(document.language)`` (billing/documents/rendering.py), and so does
anything else that names a document (its file name, its e-mail).

Station and line names come from the station table (cards/stations.py): ``大阪`` reads
``Osaka`` on an English document; a name the table does not know is printed as the card
center sent it, marked ``lang="ja"``. The stored content keeps the center's names: a
reprint in the other language translates them again from the same content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext, pgettext, pgettext_lazy

from billing.documents.models import DocumentKind
from billing.documents.receipts import (
    BRAND_NAMES,
    CHARGE,
    ReceiptLine,
    card_label,
    japan_time,
    slash_date,
)
from cards.masking import payment_card_label
from cards.stations import display_name, needs_lang_mark
from portal.money import yen

#: What a saved PDF is called: ``利用明細書_R-202611-000123.pdf`` / ``ICOCA-receipt_R-202611-000123.pdf``.
FILE_TITLES = {
    DocumentKind.RECEIPT: pgettext_lazy("file name", "利用明細書"),
    DocumentKind.REFUND_STATEMENT: pgettext_lazy("file name", "払いもどし計算書"),
    DocumentKind.USAGE_HISTORY: pgettext_lazy("file name", "利用履歴証明"),
}


def active_language() -> str:
    """The active language (a page's, or the document's being rendered) as a document
    language: ``ja`` or ``en``."""
    return "en" if (get_language() or "ja").startswith("en") else "ja"


def title(kind: str) -> str:
    """The document's title: ``利用明細書（領収書）`` / ``Usage statement (receipt)``."""
    return str(DocumentKind(kind).label)


def file_name(kind: str, number: str, *, reprint: bool) -> str:
    suffix = pgettext("file name", "_再発行") if reprint else ""
    return f"{FILE_TITLES[kind]}_{number}{suffix}.pdf"


def place_text(name: str) -> str:
    """A station, line or operator name as text: English from the station table on an
    English document, else as the feed sent it."""
    return display_name(name or "", active_language())


def place_html(name: str) -> SafeString:
    """The same as HTML, a Japanese name on an English document inside ``<span lang="ja">``."""
    if needs_lang_mark(name or "", active_language()):
        return format_html('<span lang="ja">{}</span>', name)
    return conditional_escape(place_text(name))


def pass_kind(kind: str) -> str:
    """``通勤`` / ``commuter``, as a pass line or a refund statement names it."""
    if kind == "commuter":
        return pgettext("commuter pass kind, in a line", "通勤")
    if kind == "student":
        return pgettext("commuter pass kind, in a line", "通学")
    return kind


def valid_range(start, end) -> str:
    """``2026/10/01〜2026/12/31`` / ``2026/10/01–2026/12/31``."""
    return pgettext("date range", "%(start)s〜%(end)s") % {"start": slash_date(start), "end": slash_date(end)}


def pass_words(line: ReceiptLine) -> list[str]:
    """The words of a pass line that must not be broken apart: ``定期券`` ``大阪⇔三ノ宮``
    ``通勤 3か月`` ``2026/10/01〜2026/12/31``; in English ``Commuter pass``
    ``Osaka⇔Sannomiya`` ``(commuter, 3 months)`` ``2026/10/01–2026/12/31``."""
    terms = ngettext("%(kind)s %(months)sか月", "%(kind)s %(months)sか月", line.months) % {
        "kind": pass_kind(line.pass_kind), "months": line.months,
    }
    section = f"{place_text(line.from_station)}⇔{place_text(line.to_station)}"
    return [pgettext("receipt line", "定期券"), section, terms, valid_range(line.valid_from, line.valid_until)]


def pass_parts(line: ReceiptLine) -> list[SafeString]:
    """:func:`pass_words` as HTML, the station names marked ``lang="ja"`` where the table
    does not know them on an English document."""
    words = pass_words(line)
    section = format_html("{}⇔{}", place_html(line.from_station), place_html(line.to_station))
    return [conditional_escape(words[0]), section, conditional_escape(words[2]), conditional_escape(words[3])]


def tax_mark(rate: int | None) -> str:
    """How a line is taxed: ``不課税`` / ``Not taxable``, ``10%（税込）`` / ``10% incl.``."""
    if rate is None:
        return pgettext("receipt line", "不課税")
    return pgettext("receipt line", "%(rate)s%%（税込）") % {"rate": rate}


def tax_group_label(rate: int | None) -> str:
    """A row of the tax summary: ``10%対象`` / ``10% rate``, ``不課税`` / ``Not subject to consumption tax``."""
    if rate is None:
        return pgettext("tax summary", "不課税")
    return pgettext("tax summary", "%(rate)s%%対象") % {"rate": rate}


@dataclass(frozen=True)
class DisplayLine:
    """A receipt line as the PDF prints it."""

    when: str
    card: str
    description: str  # plain text
    description_parts: list[SafeString]  # HTML, each part kept whole; one part for a charge
    payment: str
    amount: str
    tax: str


def payment_cell(brand: str, last4: str) -> str:
    """``Mastercard ••••5454``; a brand's own words never part (``American Express``), so the
    cell breaks, if at all, only between the brand and its ``••••last 4``."""
    return payment_card_label(BRAND_NAMES.get(brand, brand).replace(" ", "\u00a0"), last4)


def display_lines(lines: Sequence[ReceiptLine]) -> list[DisplayLine]:
    """Every line of a receipt, in the active language. The words are looked up once per
    document, not once per line: a year of a heavy member is 2,000 lines."""
    lang = active_language()
    charge = pgettext("receipt line", "チャージ")
    marks: dict[int | None, str] = {}
    result = []
    for line in lines:
        if line.tax_rate not in marks:
            marks[line.tax_rate] = tax_mark(line.tax_rate)
        if line.kind == CHARGE:
            parts = [conditional_escape(charge)]
            description = charge
        else:
            parts = pass_parts(line)
            description = " ".join(pass_words(line))
        result.append(
            DisplayLine(
                when=japan_time(line.at),
                card=card_label(line.card_nickname, line.card_number),
                description=description,
                description_parts=parts,
                payment=payment_cell(line.payment_brand, line.payment_last4),
                amount=yen(line.amount, lang),
                tax=marks[line.tax_rate],
            )
        )
    return result
