"""The /documents/ list's rows as HTML, one format string per row.

Through the template language each of a page's twenty rows was two includes
(billing/_document_scope.html and billing/_document_status.html) and some forty
variables, conditions, ``{% url %}``, ``{% translate %}`` and filters, each looked up,
translated, localised and escaped again for every row. Here what the rows of a page
share (the language, the words and patterns, the date format, the addresses, the CSRF
field, the support center's box) is worked out once a page and each row is one string.
The markup is the one the list's loop and its two includes wrote, byte for byte:
billing/tests/test_document_list_rows.py renders that loop as the reference for
documents of every kind and status in both languages. The document page and the status
poll still render billing/_document_status.html (one document each).

Every value from a document is escaped with :func:`django.utils.html.escape`, as the
template language's autoescape did; a translation of the project's own words is not (as
``{% translate %}`` and ``{% blocktranslate %}`` leave it), but what is put into it is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop

from billing.documents.models import Document, DocumentKind, DocumentLanguage, DocumentStatus
from cards.templatetags.stations import place_html
from portal import money
from portal.dateformats import DateFormatter
from portal.fields import read_datetime
from portal.templatetags.money import shown_language

# A row of the list; {reissued} and {status} hold the optional parts.
ROW = (
    '\n    <li class="doc-item panel" id="doc-{public_id}">'
    '\n      <div class="doc-item__head">'
    '\n        <h3 class="doc-item__title"><a href="{detail}">{kind}</a></h3>'
    '\n        <span class="doc-number">{number}{reissued}</span>'
    "\n      </div>"
    '\n      <dl class="facts facts--compact doc-item__facts">'
    "\n        <div><dt>{scope_label}</dt><dd>{scope}\n</dd></div>"
    "\n        <div><dt>{amount_label}</dt><dd>{amount}</dd></div>"
    "\n        <div><dt>{language_label}</dt><dd>{language}</dd></div>"
    "\n      </dl>"
    "\n      {status}"
    "\n    </li>"
    "\n    "
)
# billing/_document_status.html around its three branches.
STATUS = '<div class="doc-status doc-status--{status}"{poll} aria-live="polite">\n  {content}\n</div>\n'
IN_PROGRESS = (
    '\n  <p class="doc-status__line"><span class="status status--working">{working}</span> {working_hint}</p>'
    '\n  <p class="doc-status__refresh"><a href="{detail}">{refresh}</a></p>'
    "\n  "
)
READY = (
    '\n  <p class="doc-status__line"><span class="status status--ready">{ready}</span>{reprint_mark}'
    '\n    <span class="doc-status__issued">{issued}</span></p>'
    '\n  <p class="doc-status__actions"><a class="button button--primary doc-download" href="{download}" download>'
    '{download_label}<span class="visually-hidden"> {number}</span></a></p>'
    "\n  {mail}\n  "
)
EMAILED = '\n    <p class="hint">{text}</p>\n    '
EMAIL_FAILED = (
    '\n    <div class="notice notice--warning">'
    "\n      <p>{text}</p>"
    '\n      <form method="post" action="{action}">{csrf}<button type="submit" class="button button--small">'
    "{button}</button></form>"
    "\n    </div>"
    "\n    "
)
FAILED = (
    '\n  <div class="notice notice--error" role="alert">'
    '\n    <p><span class="status status--failed">{failed}</span></p>'
    "\n    <p>{failed_hint}</p>"
    "\n    {support_center}"
    '\n    <form method="post" action="{action}">{csrf}<button type="submit" class="button button--primary">'
    "{retry}</button></form>"
    "\n  </div>"
    "\n  "
)
#: A usage history's kinds (its scope's ``name``) as the list names them; any other, all three.
USAGE_SCOPE_WORDS = {
    "transit": gettext_noop("乗車・バス"),
    "ride": gettext_noop("乗車"),
    "bus": gettext_noop("バス"),
    "purchase": gettext_noop("お買い物"),
}
ALL_USES = gettext_noop("乗車・バス・お買い物")
#: A public id the addresses are reversed with once a page, then replaced by each row's.
ADDRESS_ID = uuid.UUID(int=0)


def _json(value):
    """A part of ``content`` as read from the database: text (PostgreSQL's jsonb through
    Django's loader, SQLite's ``->``) or already decoded."""
    return json.loads(value) if isinstance(value, str | bytes) else value


class RowsFormat:
    """How the rows of one page are shown, in the language active when it is made.

    ``csrf_token``: the page's token (every form of the page posts the same one);
    ``has_email``: whether the member has an address (「同じPDFをメールでもお送りします。」);
    ``support_center``: the support center's box (portal/_support_center.html), made when a
    failed document first needs it."""

    def __init__(self, *, csrf_token: str, has_email: bool, support_center: Callable[[], str]) -> None:
        self.language = get_language() or "ja"
        self.money_language = shown_language()
        self.date = DateFormatter("DATE_FORMAT")
        self.csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)
        self.has_email = has_email
        self._support_center = support_center
        self._support_center_html: str | None = None
        self.kinds = {kind.value: escape(kind.label) for kind in DocumentKind}
        self.languages = {language.value: escape(language.label) for language in DocumentLanguage}
        self.address = {
            name: reverse(f"documents:document-{name}", args=[ADDRESS_ID]).split(str(ADDRESS_ID))
            for name in ("detail", "status", "download", "email-retry", "retry")
        }
        self.scope_label = gettext("対象")
        self.amount_label = gettext("金額")
        self.language_label = gettext("言語")
        self.reissued = gettext("再発行%(count)s回")
        self.refund_scope = gettext("%(date)sの払いもどし")
        self.period = gettext("%(start)s〜%(end)s")
        self.route = gettext("%(a)s⇔%(b)sの乗車")
        self.uses = {name: gettext(words) for name, words in USAGE_SCOPE_WORDS.items()}
        self.all_uses = gettext(ALL_USES)
        self.one_card = gettext("%(period)s（%(what)s・%(name)s %(number)s）")
        self.all_cards = gettext("%(period)s（%(what)s・すべてのカード）")
        self.one_payment = gettext("%(date)sのお支払い1件")
        self.words = {
            "working": gettext("作成中"),
            "working_hint": gettext("書類を作成しています。できあがるとここにダウンロードのボタンが表示されます。"),
            "refresh": gettext("最新の状態を表示する"),
        }
        self.ready = gettext("作成済み")
        self.reprint_mark = f' <span class="status status--reprint">{gettext("再発行")}</span>'
        self.first_issued = gettext("初回発行日 %(date)s")
        self.issued = gettext("発行日 %(date)s")
        self.download_label = gettext("PDFをダウンロード")
        self.emailed = gettext("%(date)s %(time)sにメールでもお送りしました。")
        self.email_failed = gettext("メールをお送りできませんでした。PDFはこのページからダウンロードできます。")
        self.email_retry = gettext("メールを再送する")
        self.will_email = EMAILED.format(text=gettext("同じPDFをメールでもお送りします。")) if has_email else ""
        self.failed = gettext("作成できませんでした")
        self.failed_hint = gettext(
            "申し訳ありません。書類を作成できませんでした。お手数ですが、もう一度お試しください。"
            "くり返し作成できないときは、書類番号を添えてサポートセンターにお問い合わせください。"
        )
        self.retry = gettext("もう一度作成する")

    def url(self, name: str, public_id: str) -> str:
        return public_id.join(self.address[name])

    def local_date(self, value: datetime | None) -> str:
        """``{{ value|date }}`` of a time: its day in Japan (the site's time zone)."""
        return "" if value is None else self.date(timezone.localtime(value))

    def day(self, value) -> str:
        """``{{ value|date }}`` of a date."""
        return "" if value is None else self.date(value)

    def support_center(self) -> str:
        if self._support_center_html is None:
            self._support_center_html = self._support_center()
        return self._support_center_html

    def scope_html(self, document: Document) -> str:
        """What the document covers (billing/_document_scope.html)."""
        if document.kind == DocumentKind.REFUND_STATEMENT:
            return self.refund_scope % {"date": escape(self.local_date(read_datetime(document.refund_refunded_at)))}
        if document.kind == DocumentKind.USAGE_HISTORY:
            period = self.period % {"start": escape(self.day(document.period_start)),
                                    "end": escape(self.day(document.period_end))}
            scope = _json(document.content_scope)
            scope = scope if isinstance(scope, dict) else {}
            name = scope.get("name")
            if name == "route":
                stations = scope.get("stations") or ()
                what = self.route % {
                    "a": place_html(str(stations[0] or "") if len(stations) > 0 else "", self.language),
                    "b": place_html(str(stations[1] or "") if len(stations) > 1 else "", self.language),
                }
            else:
                what = self.uses.get(name, self.all_uses)
            if scope.get("card"):
                card = _json(document.content_card)
                card = card if isinstance(card, dict) else {}
                return self.one_card % {"period": period, "what": what, "name": escape(card.get("nickname") or "ICOCA"),
                                        "number": escape(card.get("number", ""))}
            return self.all_cards % {"period": period, "what": what}
        if document.payment_ref:
            return self.one_payment % {"date": escape(self.day(document.period_start))}
        return self.period % {"start": escape(self.day(document.period_start)),
                              "end": escape(self.day(document.period_end))}

    def status_html(self, document: Document, public_id: str, number: str) -> str:
        """Where the document is, and what can be done with it (billing/_document_status.html)."""
        status = document.status
        if status in (DocumentStatus.PENDING, DocumentStatus.RENDERING):
            poll = f' data-status-url="{self.url("status", public_id)}"'
            content = IN_PROGRESS.format(detail=self.url("detail", public_id), **self.words)
        elif status == DocumentStatus.READY:
            poll = ""
            reprint = document.reissue_of_id is not None
            issued = self.first_issued if reprint else self.issued
            if reprint:
                mail = ""
            elif document.emailed_at:
                emailed_at = timezone.localtime(document.emailed_at)
                mail = "\n    " + EMAILED.format(
                    text=self.emailed % {"date": escape(self.date(emailed_at)), "time": f"{emailed_at:%H:%M}"}
                ) + "\n  "
            elif document.email_failed_reason:
                mail = "\n    " + EMAIL_FAILED.format(
                    text=self.email_failed, action=self.url("email-retry", public_id), csrf=self.csrf,
                    button=self.email_retry,
                ) + "\n  "
            else:
                mail = "\n    " + self.will_email + "\n  "
            content = READY.format(
                ready=self.ready, reprint_mark=self.reprint_mark if reprint else "",
                issued=issued % {"date": escape(self.local_date(document.first_issued_at))},
                download=self.url("download", public_id), download_label=self.download_label, number=number,
                mail=mail,
            )
        else:
            poll = ""
            content = FAILED.format(
                failed=self.failed, failed_hint=self.failed_hint, support_center=self.support_center(),
                action=self.url("retry", public_id), csrf=self.csrf, retry=self.retry,
            )
        return STATUS.format(status=escape(status), poll=poll, content=content)

    def row_html(self, document: Document) -> str:
        public_id = escape(str(document.public_id))
        number = escape(document.number)
        reissued = (
            f' <span class="tag">{self.reissued % {"count": document.reissue_count}}</span>'
            if document.reissue_count else ""
        )
        return ROW.format(
            public_id=public_id,
            detail=self.url("detail", public_id),
            kind=self.kinds.get(document.kind) or escape(document.kind),
            number=number,
            reissued=reissued,
            scope_label=self.scope_label,
            scope=self.scope_html(document),
            amount_label=self.amount_label,
            amount=escape(money.yen(document.total_amount, self.money_language)),
            language_label=self.language_label,
            language=self.languages.get(document.language) or escape(document.language),
            status=self.status_html(document, public_id, number),
        )

    def rows_html(self, documents: Iterable[Document]) -> SafeString:
        """The ``<li>`` of each document, as the list's content."""
        return mark_safe("".join(self.row_html(document) for document in documents))  # noqa: S308 (escaped above)


def support_center_html(request) -> str:
    """portal/_support_center.html as the page's failed documents show it."""
    return render_to_string("portal/_support_center.html", request=request)
