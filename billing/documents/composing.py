"""What a document shows: its content composed from the card center's data
when it is created (the snapshot kept on the row), and its PDF rendered from
that snapshot alone.

Reads cards through cards/payments.py and the history's selectors
(cards/history/selectors.py); the arithmetic is in the pure modules
billing/documents/receipts.py, billing/documents/refund_statements.py and
billing/documents/usage_histories.py, the PDF in billing/documents/rendering.py.
"""

from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.utils import translation

from billing.documents import rendering as pdf
from billing.documents import wording
from billing.documents.models import Document, DocumentKind
from billing.documents.receipts import ReceiptContent, ReceiptLine, compose
from billing.documents.refund_statements import RefundPass, RefundStatementContent, refund_statement
from billing.documents.usage_histories import HistoryCard, UsageHistoryContent, UsageHistoryLine
from cards import payments
from cards.history import selectors as history
from cards.masking import mask_icoca_number
from cards.models import CommuterPass, Refund, UsageRecord
from cards.window import JAPAN, japan_days_bounds


def charge_line(record: UsageRecord) -> ReceiptLine:
    return ReceiptLine(
        kind="charge",
        at=record.occurred_at,
        card_nickname=record.card.nickname,
        card_number=mask_icoca_number(record.card.icoca_number),
        payment_brand=record.payment_brand,
        payment_last4=record.payment_last4,
        amount=record.amount,
    )


def pass_line(bought: CommuterPass) -> ReceiptLine:
    return ReceiptLine(
        kind="pass",
        at=bought.paid_at,
        card_nickname=bought.card.nickname,
        card_number=mask_icoca_number(bought.card.icoca_number),
        payment_brand=bought.payment_brand,
        payment_last4=bought.payment_last4,
        amount=bought.price,
        from_station=bought.from_station,
        to_station=bought.to_station,
        pass_kind=bought.kind,
        months=bought.months,
        valid_from=bought.valid_from,
        valid_until=bought.valid_until,
    )


def period_receipt(member, *, start: date, end: date) -> ReceiptContent:
    """Every card payment of the member from ``start`` to ``end`` (Japan dates, both included)."""
    first, after = japan_days_bounds(start, end)
    charges = payments.member_card_charges(member, start=first, end=after)
    passes = payments.member_card_pass_purchases(member, start=first, end=after)
    return compose([*(charge_line(c) for c in charges.iterator(chunk_size=2000)), *(pass_line(p) for p in passes)])


def payment_receipt(payment: payments.CardPayment) -> ReceiptContent:
    line = charge_line(payment.charge) if payment.charge is not None else pass_line(payment.commuter_pass)
    return compose([line])


def refund_content(refund: Refund) -> RefundStatementContent:
    """The refund's statement; raises ``InconsistentRefund`` when it does not add up."""
    bought = refund.commuter_pass
    refund_pass = None
    if bought is not None:
        refund_pass = RefundPass(
            from_station=bought.from_station, to_station=bought.to_station, via=bought.via, pass_kind=bought.kind,
            months=bought.months, valid_from=bought.valid_from, valid_until=bought.valid_until, price=bought.price,
            fares=bought.fares,
        )
    return refund_statement(
        refunded_at=refund.refunded_at,
        card_nickname=refund.card.nickname,
        card_number=mask_icoca_number(refund.card.icoca_number),
        balance=refund.balance,
        fee=refund.fee,
        total=refund.total,
        destination_method=refund.destination_method,
        destination_brand=refund.destination_brand,
        destination_last4=refund.destination_last4,
        commuter_pass=refund_pass,
        months_used=refund.months_used,
        fare_deducted=refund.fare_deducted,
        pass_part=refund.pass_part,
    )


def usage_history_cards(member, card_public_id: str = "") -> list | None:
    """The cards a usage history covers: one card's reissue chain (newest first), or every
    card of the member (``card_public_id`` empty); ``None`` when the card is not the member's."""
    cards = history.member_cards(member)
    if not card_public_id:
        return list(cards.cards)
    card = cards.by_public_id(card_public_id)
    return None if card is None else cards.chain(card)


def usage_history_lines(cards, *, start: date, end: date, kinds) -> list[UsageHistoryLine]:
    """The usage of ``cards`` from ``start`` to ``end`` (Japan dates, both included) of
    ``kinds``, oldest first, read through the history's keyset (a year in batches)."""
    query = history.query_for(cards, first_day=start, last_day=end, kinds=kinds)
    masked = {card.pk: mask_icoca_number(card.icoca_number) for card in cards}
    lines = [
        UsageHistoryLine(
            at=line.occurred_at.astimezone(JAPAN), kind=line.kind, card_number=masked[line.card.pk], amount=line.amount,
            balance=line.balance if line.balance is not None else 0, from_station=line.from_station,
            to_station=line.to_station, place=line.merchant if line.kind != "ride" else "",
        )
        for line in history.history_lines(query, batch=2000)
    ]
    lines.reverse()
    return lines


def history_cards(cards) -> list[HistoryCard]:
    return [HistoryCard(nickname=card.nickname, number=mask_icoca_number(card.icoca_number)) for card in cards]


# --- The PDF ---------------------------------------------------------------------------


def header(document: Document) -> pdf.Header:
    original = document.reissue_of if document.is_reprint else None
    return pdf.Header(
        kind=document.kind,
        number=document.number,
        language=document.language,
        issued_at=document.first_issued_at,
        issuer_name=document.issuer_name,
        registration_number=document.issuer_registration_number,
        addressee=document.addressee_name,
        reprinted_at=document.requested_at if original is not None else None,
    )


def render(document: Document) -> bytes:
    """The PDF of ``document``, from its snapshot (``first_issued_at`` must be set)."""
    if settings.DOCUMENT_TEST_RENDER_DELAY:
        time.sleep(settings.DOCUMENT_TEST_RENDER_DELAY)  # tests only: a window to stop the worker in
    if document.kind == DocumentKind.REFUND_STATEMENT:
        return pdf.render_refund_statement(
            header=header(document), content=RefundStatementContent.from_json(document.content)
        )
    if document.kind == DocumentKind.USAGE_HISTORY:
        return pdf.render_usage_history(
            header=header(document), content=UsageHistoryContent.from_json(document.content)
        )
    period = pdf.Period(
        start=document.period_start, end=document.period_end, single_payment=bool(document.payment_ref)
    )
    return pdf.render_receipt(header=header(document), content=ReceiptContent.from_json(document.content), period=period)


def file_name(document: Document) -> str:
    """The name a member's browser saves the PDF under: ``利用明細書_R-202611-000123.pdf``
    (``_再発行`` added on a reprint); English words for an English document."""
    with translation.override(document.language):
        return wording.file_name(document.kind, document.number, reprint=document.is_reprint)
