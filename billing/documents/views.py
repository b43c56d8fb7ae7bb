"""領収書・明細書 (/documents/) and 払いもどし (/refunds/): request (receipts, refund
statements, usage histories), list and search, status, download, reprint. Every document is looked up within the
signed-in member's own records: anyone else gets 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.exceptions import PortalError
from billing.documents import composing as documents
from billing.documents import emailing as document_mail
from billing.documents import list_rows
from billing.documents import selectors as document_selectors
from billing.documents import services as document_services
from billing.documents.forms import (
    DocumentLanguageForm,
    MonthForm,
    PaymentForm,
    PeriodForm,
    SearchForm,
    ShownFields,
    UsageHistoryForm,
    member_fields,
    unbound_fields,
)
from billing.documents.models import Document, DocumentLanguage
from cards import payments
from cards.history import selectors as history_selectors
from cards.masking import mask_icoca_number
from cards.window import JAPAN, earliest_date, japan_today

PAGE_SIZE = 20
PAYMENT_CHOICES = 200


def _document(request: HttpRequest, public_id: uuid.UUID) -> Document:
    try:
        return document_selectors.member_document(request.user, public_id)
    except Document.DoesNotExist:
        raise Http404("no such document") from None


def _card_payments(member, today, cards=None) -> list[payments.CardPayment]:
    """The member's card payments inside the window, newest first, as the
    「1件のお支払い」 choice offers them (``cards``: the member's, if read already)."""
    start = datetime(*earliest_date(today).timetuple()[:3], tzinfo=JAPAN)
    return payments.member_card_payments(member, start=start, end=datetime.now(JAPAN), limit=PAYMENT_CHOICES,
                                         cards=cards)


def _card_choices(member_cards: history_selectors.MemberCards) -> list[tuple[str, str]]:
    """The member's cards (the newest of each reissue chain) for the usage history's card choice."""
    return [
        (str(card.public_id), f"{card.nickname or 'ICOCA'} {mask_icoca_number(card.icoca_number)}")
        for card in member_cards.current
    ]


def _usage_form_arguments(today, *, cards) -> dict:
    return {"today": today, "cards": cards, "initial": {"start": earliest_date(today), "end": today}}


def _usage_form(member, today, data=None, member_cards=None) -> UsageHistoryForm:
    if member_cards is None:
        member_cards = history_selectors.member_cards(member)
    return UsageHistoryForm(data, **_usage_form_arguments(today, cards=_card_choices(member_cards)))


def _list_page(request: HttpRequest, *, forms: dict | None = None, status: int = 200) -> HttpResponse:
    """The page: its forms (``forms``: one posted back with its errors) and the member's
    documents. The member's cards are read once for the payment and usage forms; the fields
    that are not the member's come from forms.unbound_fields; the documents' rows are written
    by billing/documents/list_rows.py. Four queries, none compiled by the ORM, whatever the
    number of documents: the cards, their payments, the documents' count and their page (none
    when there are none)."""
    member, today = request.user, japan_today()
    search_form = SearchForm(request.GET or None)
    search = document_selectors.DocumentSearch()
    if search_form.is_bound and search_form.is_valid():
        search = document_selectors.DocumentSearch(**search_form.cleaned_data)
    documents = document_selectors.DocumentList(member, search)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    forms = forms or {}
    member_cards = history_selectors.member_cards(member)
    csrf_token = get_token(request)  # the page's, for every form on it (rows included)
    rows = "" if not page.object_list else list_rows.RowsFormat(
        csrf_token=csrf_token, has_email=bool(member.email),
        support_center=lambda: list_rows.support_center_html(request),
    ).rows_html(page.object_list)
    payment_form = forms.get("payment") or PaymentForm(card_payments=_card_payments(member, today, member_cards.cards))
    if "payment" in forms:
        payment_fields = ShownFields(payment_form)
    else:
        payment_fields = member_fields(payment_form, "payment", unbound_fields(PaymentForm, card_payments=()))
    if "usage" in forms:
        usage_fields = ShownFields(forms["usage"])
    else:
        usage_fields = member_fields(
            _usage_form(member, today, member_cards=member_cards), "card",
            unbound_fields(UsageHistoryForm, **_usage_form_arguments(today, cards=[])),
        )
    context = {
        "month_fields": ShownFields(forms["month"]) if "month" in forms else unbound_fields(MonthForm, today=today),
        "period_fields": ShownFields(forms["period"]) if "period" in forms else unbound_fields(PeriodForm, today=today),
        "payment_form": payment_form,
        "payment_fields": payment_fields,
        "usage_fields": usage_fields,
        "search_fields": ShownFields(search_form) if search_form.is_bound else unbound_fields(SearchForm),
        "active_mode": forms.get("mode", ""),
        "search_form": search_form,
        "search": search,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "earliest": earliest_date(today),
        "has_email": bool(member.email),
        "csrf_token": csrf_token,
    }
    response = render(request, "billing/document_list.html", context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


def _requested(request: HttpRequest, requested: document_services.DocumentRequested, language: str) -> HttpResponse:
    document = requested.document
    if not requested.created and document.language != language:
        messages.info(request, _("同じ内容の書類はすでに%(language)sで発行しています（%(number)s）。"
                                 "%(wanted)sの書類は、このページの「再発行」で作成できます（番号と金額は同じです）。")
                      % {"number": document.number, "language": document.get_language_display(),
                         "wanted": DocumentLanguage(language).label})
    elif not requested.created:
        messages.info(request, _("同じ内容の書類はすでに発行しています（%(number)s）。もう一度印刷するときは「再発行」をお使いください。")
                      % {"number": document.number})
    elif requested.queued is False:
        messages.warning(request, _("ご依頼を受け付けました。ただいま作成の処理が混み合っているため、準備ができしだい作成し、"
                                    "できあがったらメールでもお知らせします。このページはそのままで構いません。"))
    else:
        messages.success(request, _("ご依頼を受け付けました。できあがるとこのページからダウンロードでき、メールでもお送りします。"))
    return redirect("documents:document-detail", public_id=document.public_id)


@login_required
@require_POST
def document_request(request: HttpRequest) -> HttpResponse:
    """One form of three (``mode``): a month, a period, or one payment."""
    member, today = request.user, japan_today()
    mode = request.POST.get("mode")
    if mode == "month":
        form = MonthForm(request.POST, today=today)
    elif mode == "period":
        form = PeriodForm(request.POST, today=today)
    elif mode == "payment":
        form = PaymentForm(request.POST, card_payments=_card_payments(member, today))
    else:
        return redirect("documents:document-list")
    if form.is_valid():
        language = form.document_language()
        try:
            if mode == "month":
                year, month = form.year_month()
                requested = document_services.receipt_request_month(
                    member=member, year=year, month=month, today=today, language=language
                )
            elif mode == "period":
                requested = document_services.receipt_request(
                    member=member, start=form.cleaned_data["start"], end=form.cleaned_data["end"], today=today,
                    language=language,
                )
            else:
                requested = document_services.receipt_request_payment(
                    member=member, payment_ref=form.cleaned_data["payment"], today=today, language=language
                )
        except PortalError as error:
            form.add_error(None, str(error))
        else:
            return _requested(request, requested, language)
    return _list_page(request, forms={mode: form, "mode": mode}, status=400)


@login_required
@require_POST
def usage_history_request(request: HttpRequest) -> HttpResponse:
    """A 利用履歴証明, asked for on /documents/ or from the history page with its filters.
    A card that is not the member's is a 404; any other refusal shows the form again with
    the reason (400), with nothing stored or queued."""
    member, today = request.user, japan_today()
    card = (request.POST.get("card") or "").strip()
    if card and history_selectors.member_cards(member).by_public_id(card) is None:
        raise Http404("no such card")
    form = _usage_form(member, today, request.POST)
    if card and card not in dict(form.fields["card"].choices):  # an old card of a reissue chain: its chain
        form.fields["card"].choices = [*form.fields["card"].choices, (card, card)]
    if form.is_valid():
        data = form.cleaned_data
        try:
            requested = document_services.usage_history_request(
                member=member, start=data["start"], end=data["end"], scope=data["scope"], card=data["card"],
                stations=data["stations"], today=today, language=form.document_language(),
            )
        except PortalError as error:
            form.add_error(None, str(error))
        else:
            return _requested(request, requested, form.document_language())
    return _list_page(request, forms={"usage": form, "mode": "usage"}, status=400)


@login_required
@require_GET
def document_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    document = _document(request, public_id)
    context = {
        "document": document,
        "reprints": document_selectors.document_reprints(document),
        "reprint_form": DocumentLanguageForm(language_id="id_reprint_language"),
    }
    response = render(request, "billing/document_detail.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
@never_cache
def document_status(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    """What the page's script polls while a document is being made."""
    document = _document(request, public_id)
    html = render_to_string("billing/_document_status.html", {"document": document, "polling": True}, request=request)
    response = JsonResponse(
        {"status": document.status, "in_progress": document.in_progress, "label": document.get_status_display(),
         "html": html}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def attachment_disposition(name: str, fallback: str) -> str:
    """``attachment`` with the Japanese name for every browser (RFC 6266 and
    RFC 5987: ``filename*=UTF-8''…``) and an ASCII ``filename`` for the rest."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@login_required
@require_GET
def document_download(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    document = _document(request, public_id)
    if not document.is_ready:
        raise Http404("not ready")
    response = FileResponse(document.file.open("rb"), content_type="application/pdf")
    fallback = documents.file_name(Document(kind=document.kind, number=document.number, language="en",
                                            reissue_of=document.reissue_of))
    response["Content-Disposition"] = attachment_disposition(documents.file_name(document), fallback)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def document_reprint(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """再発行, in the language the form asks for (the page's by default): same number, same
    figures, same first issue date."""
    document = _document(request, public_id)
    form = DocumentLanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("書類の言語は、日本語か英語を選んでください。"))
        return redirect("documents:document-detail", public_id=document.public_id)
    try:
        reprint = document_services.document_reprint(
            member=request.user, document=document, language=form.document_language()
        )
    except PortalError as error:
        messages.error(request, str(error))
        return redirect("documents:document-detail", public_id=document.public_id)
    if reprint.is_ready:
        messages.success(request, _("再発行の書類です。「再発行」の印と初回発行日が入っています。"))
    else:
        messages.success(request, _("再発行の書類を作成しています。「再発行」の印と初回発行日が入ります。"))
    return redirect("documents:document-detail", public_id=reprint.public_id)


@login_required
@require_POST
def document_retry(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    retried = document_services.document_retry(member=request.user, document=_document(request, public_id))
    document = retried.document
    if retried.queued is False:
        messages.warning(request, _("ご依頼を受け付けました。準備ができしだい作成します。"))
    else:
        messages.success(request, _("もう一度作成しています。"))
    return redirect("documents:document-detail", public_id=document.public_id)


@login_required
@require_POST
def document_email_retry(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    document = document_mail.document_email_retry(member=request.user, document=_document(request, public_id))
    messages.success(request, _("メールをもう一度お送りします。"))
    return redirect("documents:document-detail", public_id=document.public_id)


# --- 払いもどし ---------------------------------------------------------------------------------


@login_required
@require_GET
def refund_list(request: HttpRequest) -> HttpResponse:
    member, today = request.user, japan_today()
    refunds = list(payments.member_refunds(member))
    statements = document_selectors.refund_statements(member, refunds)
    earliest = earliest_date(today)
    rows = [
        {
            "refund": refund,
            "card": refund.card.nickname or "ICOCA",
            "masked_number": mask_icoca_number(refund.card.icoca_number),
            "statement": statements.get(refund.pk),
            "in_window": refund.refunded_at.astimezone(JAPAN).date() >= earliest,
            "language_form": DocumentLanguageForm(language_id=f"id_statement_language_{refund.pk}"),
        }
        for refund in refunds
    ]
    response = render(request, "billing/refund_list.html", {"rows": rows, "earliest": earliest})
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def refund_statement_request(request: HttpRequest, center_id: str) -> HttpResponse:
    refund = payments.member_refunds(request.user).filter(center_id=center_id).first()
    if refund is None:
        raise Http404("no such refund")
    form = DocumentLanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("書類の言語は、日本語か英語を選んでください。"))
        return redirect("documents:refund-list")
    language = form.document_language()
    try:
        requested = document_services.refund_statement_request(member=request.user, refund=refund, language=language)
    except PortalError as error:
        messages.error(request, str(error))
        return redirect("documents:refund-list")
    return _requested(request, requested, language)

