"""Rendering documents: Django templates (templates/pdf/) → HTML → WeasyPrint →
PDF/A-3b, A4, in the project's own font.

* The font is BIZ UDPGothic from billing/documents/fonts/ (SIL OFL), loaded through
  ``@font-face`` with file URIs; WeasyPrint embeds only the glyphs a document
  uses (HarfBuzz subsetting). No font installed on the machine is named, so a
  PDF looks the same whichever host rendered it.
* One ``FontConfiguration`` per process, reused by every render: the font files
  are read and registered once per worker, not once per document.
* The PDF's metadata: the title, the document number (as the subject and a
  keyword) and the issuer (as the author).
* WeasyPrint fetches nothing but the shipped font files (``ShippedFontsFetcher``):
  no network (http, https, ftp), no ``data:`` URL, no other file of the host, so no
  value printed on a document can make a worker read or request anything.

Every input is plain data (the snapshot a document keeps), so rendering the same
document again gives the same text. One template per document kind, its words translated
with gettext like the pages: each render runs inside ``translation.override`` of the
document's language, and billing/documents/wording.py says the words around the figures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.template.loader import render_to_string
from django.utils import translation

from billing.documents import wording
from billing.documents.receipts import ReceiptContent, japan_time
from billing.documents.refund_statements import RefundStatementContent
from billing.documents.usage_histories import UsageHistoryContent
from cards.models import UsageKind
from cards.stations import display_name
from cards.window import JAPAN, japan_today
from portal.money import yen

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "BIZ UDPGothic"
FONT_FILES = {400: FONT_DIR / "BIZUDPGothic-Regular.ttf", 700: FONT_DIR / "BIZUDPGothic-Bold.ttf"}
PDF_VARIANT = "pdf/a-3b"

_font_config = None
_font_config_lock = threading.Lock()


def font_config():
    """The process's ``FontConfiguration`` (created at the first render)."""
    global _font_config
    if _font_config is None:
        with _font_config_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
    return _font_config


def _shipped_fonts() -> frozenset[Path]:
    return frozenset(path.resolve() for path in FONT_FILES.values())


def shipped_font(url: str) -> Path | None:
    """The shipped font file a ``file:`` URL names exactly (no query, no fragment, no host),
    else ``None``."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        return None
    path = Path(unquote(parts.path)).resolve()
    return path if path in _shipped_fonts() else None


_fetcher_class = None


def url_fetcher():
    """WeasyPrint's ``url_fetcher``: serves the shipped font files, refuses every other URL
    (WeasyPrint then logs a warning and leaves the resource out)."""
    global _fetcher_class
    if _fetcher_class is None:
        from weasyprint.urls import URLFetcher

        class ShippedFontsFetcher(URLFetcher):
            def fetch(self, url, headers=None):
                if shipped_font(url) is None:
                    raise ValueError(f"refused: a document loads only its shipped fonts, not {url[:100]!r}")
                return super().fetch(url, headers)

        _fetcher_class = ShippedFontsFetcher
    return _fetcher_class(allowed_protocols=("file",), allow_redirects=False)


def font_faces() -> list[dict[str, object]]:
    return [{"family": FONT_FAMILY, "weight": weight, "url": path.as_uri()} for weight, path in FONT_FILES.items()]


def html_to_pdf(html: str) -> bytes:
    """PDF/A-3b bytes of an HTML page (its CSS inline, fonts by file URI)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(FONT_DIR), url_fetcher=url_fetcher()).write_pdf(
        font_config=font_config(), pdf_variant=PDF_VARIANT, uncompressed_pdf=False
    )


def long_date(day: date, language: str) -> str:
    """``2026年11月25日`` / ``2026-11-25``."""
    if language == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Header:
    """What every document shows about itself: copied onto the document row
    when it was issued, never read from live data."""

    kind: str  # receipt | refund_statement
    number: str
    language: str  # ja | en
    issued_at: datetime  # the first issue
    issuer_name: str
    registration_number: str
    addressee: str
    reprinted_at: datetime | None = None  # set on a reprint (再発行)

    @property
    def title(self) -> str:
        """In the document's language (wording.title reads the active one)."""
        with translation.override(self.language):
            return wording.title(self.kind)

    def context(self) -> dict[str, object]:
        language = self.language
        return {
            "title": self.title,
            "number": self.number,
            "language": language,
            "issued_on": long_date(japan_today(self.issued_at), language),
            "created": self.issued_at.astimezone(JAPAN).isoformat(timespec="seconds"),
            "issuer_name": self.issuer_name,
            "registration_number": self.registration_number,
            "addressee": self.addressee,
            "reprint": self.reprinted_at is not None,
            "reprinted_on": long_date(japan_today(self.reprinted_at), language) if self.reprinted_at else "",
            "font_faces": font_faces(),
        }


@dataclass(frozen=True)
class Period:
    """What a receipt covers: a period (Japan dates, both included) or one payment."""

    start: date
    end: date
    single_payment: bool = False


def receipt_html(*, header: Header, content: ReceiptContent, period: Period) -> str:
    with translation.override(header.language):
        return _receipt_html(header=header, content=content, period=period)


def _receipt_html(*, header: Header, content: ReceiptContent, period: Period) -> str:
    language = header.language
    context = header.context() | {
        "period_start": long_date(period.start, language),
        "period_end": long_date(period.end, language),
        "single_payment": period.single_payment,
        "lines": wording.display_lines(content.lines),
        "line_count": len(content.lines),
        "tax_groups": [
            {
                "label": wording.tax_group_label(group.rate),
                "total": yen(group.total, language),
                "tax": yen(group.tax, language) if group.tax is not None else "",
                "taxable": group.taxable,
            }
            for group in content.tax_groups
        ],
        "has_taxable": content.has_taxable,
        "pass_rate": next((group.rate for group in content.tax_groups if group.taxable), None),
        "has_charges": any(not group.taxable for group in content.tax_groups),
        "total": yen(content.total, language),
        "empty": content.is_empty,
    }
    return render_to_string("pdf/receipt.html", context)


def refund_statement_html(*, header: Header, content: RefundStatementContent) -> str:
    with translation.override(header.language):
        return _refund_statement_html(header=header, content=content)


def _refund_statement_html(*, header: Header, content: RefundStatementContent) -> str:
    language = header.language

    def money(amount: int) -> str:
        return yen(amount, language)

    p = content.commuter_pass
    context = header.context() | {
        "card": f"{content.card_nickname} {content.card_number}".strip(),
        "refund_date": long_date(content.refund_date, language),
        "balance": money(content.balance),
        "fee": money(content.fee),
        "before_fee": money(content.before_fee),
        "total": money(content.total),
        "floored": content.before_fee - content.fee < 0,
        "nothing_paid": content.total == 0,
        "destination_card": content.destination_label,
        "destination_method": content.destination_method,
        "commuter_pass": p,
        "pass_part": money(content.pass_part),
    }
    if p is not None:
        context |= {
            "pass_from_station": wording.place_html(p.from_station),
            "pass_to_station": wording.place_html(p.to_station),
            "pass_via": wording.place_html(p.via) if p.via else "",
            "pass_kind": wording.pass_kind(p.pass_kind),
            "pass_from": long_date(p.valid_from, language),
            "pass_until": long_date(p.valid_until, language),
            "pass_price": money(p.price),
            "months_used": content.months_used,
            "fare_deducted": money(content.fare_deducted),
            "fare_lines": [
                {"months": line.pass_months, "count": line.count, "fare": money(line.fare), "amount": money(line.amount)}
                for line in content.fare_lines
            ],
            "pass_not_started": content.pass_refundable and content.months_used == 0,
            "pass_reason": content.pass_reason_code,
            "pass_before_floor": content.pass_refundable and p.price - content.fare_deducted < 0,
        }
    return render_to_string("pdf/refund_statement.html", context)


def usage_history_rows(content: UsageHistoryContent, language: str) -> list[tuple[str, ...]]:
    """Each line as the PDF prints it: (when, kind, what, amount, balance, card), plain
    strings (a tuple is the cheapest thing for a template to read, 2,000 times). The
    names of stations and bus operators in the document's language (cards/stations.py)."""
    kinds = {kind: str(UsageKind(kind).label) for kind in ("ride", "bus", "purchase")}
    names: dict[str, str] = {}

    def name(text: str) -> str:
        if text not in names:
            names[text] = display_name(text, language)
        return names[text]

    rows = []
    for line in content.lines:
        what = f"{name(line.from_station)} → {name(line.to_station)}" if line.kind == "ride" else name(line.place)
        rows.append((japan_time(line.at), kinds[line.kind], what, yen(line.amount, language),
                     yen(line.balance, language), line.card_number[-4:]))
    return rows


def usage_history_html(*, header: Header, content: UsageHistoryContent) -> str:
    """The 利用履歴証明: one template for both languages, translated with gettext in the
    document's language (templates/pdf/usage_history.html)."""
    language = header.language
    with translation.override(language):
        scope = content.scope
        context = header.context() | {
            "member_name": content.member_name,
            "period_start": long_date(content.period_start, language),
            "period_end": long_date(content.period_end, language),
            "scope": scope.name,
            "stations": [display_name(station, language) for station in scope.stations or ()],
            "one_card": bool(scope.card),
            "cards": content.cards,
            "many_cards": len({line.card_number for line in content.lines}) > 1,
            "rows": usage_history_rows(content, language),
            "line_count": len(content.lines),
            "fare_total": yen(content.fare_total, language),
            "fare_count": content.fare_count,
            "purchase_total": yen(content.purchase_total, language),
            "purchase_count": content.purchase_count,
            "has_purchases": "purchase" in scope.kinds,
            "has_fares": bool({"ride", "bus"} & set(scope.kinds)),
        }
        return render_to_string("pdf/usage_history.html", context)


def render_usage_history(*, header: Header, content: UsageHistoryContent) -> bytes:
    return html_to_pdf(usage_history_html(header=header, content=content))


def render_receipt(*, header: Header, content: ReceiptContent, period: Period) -> bytes:
    return html_to_pdf(receipt_html(header=header, content=content, period=period))


def render_refund_statement(*, header: Header, content: RefundStatementContent) -> bytes:
    return html_to_pdf(refund_statement_html(header=header, content=content))
