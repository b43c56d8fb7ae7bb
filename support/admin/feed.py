"""The card center's feed in the support center, read only: the files
imported (when, how many lines and what became of them) and the feed lookup
(the rejected lines and why, by record id or ICOCA number; showing a line
that names a card audits a read of its holder)."""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import ReadOnlyAdmin
from cards.masking import mask_icoca_number
from cards.models import Card, FeedImport, FeedReject
from support import roles, selectors, services
from support.admin.display import when

ICOCA_NUMBER_IN_TEXT = re.compile(r"JW[0-9A-Z]{15}")
#: The largest id a row can have (a 64-bit column, on PostgreSQL and SQLite).
LARGEST_ID = 2**63 - 1


def _line_count(field: str, label: str):
    """A column showing the count ``field`` of a feed import, with thousands separators."""

    @admin.display(description=label)
    def count(model_admin, feed_import):
        return f"{getattr(feed_import, field):,}"

    return count


@admin.register(FeedImport)
class FeedImportAdmin(ReadOnlyAdmin):
    """The card center files imported, newest first: when, how many lines and what became
    of them; an import never finished (still running, or stopped by an error) says so. Its
    rejected lines open in the feed lookup. Read only."""

    list_per_page = 50
    list_display = ("file", "started", "state", "lines_read", "lines_imported", "lines_unchanged", "rejected_lines")
    list_display_links = ("file",)
    fields = list_display
    readonly_fields = list_display
    search_fields = ("file_name",)
    search_help_text = "ファイル名の一部で検索できます。"
    actions = None

    def get_queryset(self, request):
        return selectors.feed_imports()

    @admin.display(description="ファイル", ordering="file_name")
    def file(self, feed_import):
        return feed_import.file_name

    @admin.display(description="開始", ordering="started_at")
    def started(self, feed_import):
        return when(feed_import.started_at)

    @admin.display(description="状態")
    def state(self, feed_import):
        if feed_import.finished_at is None:
            return "未完了（実行中、またはエラーで中断）"
        return f"完了 {when(feed_import.finished_at)}"

    lines_read = _line_count("read", "読んだ行")
    lines_imported = _line_count("imported", "取り込んだ行")
    lines_unchanged = _line_count("unchanged", "変更なし")

    @admin.display(description="取り込めなかった行")
    def rejected_lines(self, feed_import):
        if not feed_import.rejected:
            return "0"
        url = reverse("admin:cards_feedreject_changelist") + f"?feed_import={feed_import.pk}"
        return format_html('<a href="{}">{} 行</a>', url, f"{feed_import.rejected:,}")


@admin.register(FeedReject)
class FeedRejectAdmin(ReadOnlyAdmin):
    """What happened to a feed line: the rejected lines and reasons of the
    last imports, searchable by record id or ICOCA number. Read only."""

    list_per_page = 50
    list_display = ("feed_file", "imported_at", "line_no", "kind", "key", "why")
    list_display_links = ("line_no",)
    readonly_fields = ("feed_file", "imported_at", "line_no", "kind", "key", "why", "line_masked", "line_full")
    search_fields = ("record_key",)  # the box; get_search_results does the work
    search_help_text = "レコードID、またはICOCA番号（17文字）で検索できます。直近の取り込みの行だけを表示します。"
    actions = None

    def get_queryset(self, request):
        # The rejects of one import (a link from the imports), whenever it ran; else the
        # last imports' only.
        return selectors.feed_rejects("", recent_only="feed_import" not in request.GET)

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "feed_import" or super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        # An import id no row can have is a wrong address, as "abc" is: the admin's own answer
        # to a wrong filter (the list with ?e=1), never a query SQLite cannot even bind.
        try:
            beyond = abs(int(request.GET.get("feed_import", ""))) > LARGEST_ID
        except ValueError:
            beyond = False
        if beyond:
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        return queryset & selectors.feed_rejects(search_term, recent_only=False), False

    @admin.display(description="ファイル")
    def feed_file(self, reject):
        return reject.feed_import.file_name

    @admin.display(description="取り込み日時")
    def imported_at(self, reject):
        return reject.feed_import.started_at

    @admin.display(description="行番号")
    def line_no(self, reject):
        return reject.line_number

    @admin.display(description="種類")
    def kind(self, reject):
        return reject.record_type

    @admin.display(description="レコードID")
    def key(self, reject):
        return reject.record_key

    @admin.display(description="理由")
    def why(self, reject):
        return reject.reason

    @admin.display(description="行の内容")
    def line_masked(self, reject):
        masked = ICOCA_NUMBER_IN_TEXT.sub(lambda found: mask_icoca_number(found.group()), reject.line)
        return format_html("<code class='feed-line'>{}</code>", masked)

    @admin.display(description="行の内容")
    def line_full(self, reject):
        return format_html("<code class='feed-line'>{}</code>", reject.line)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A rejected line shows an ICOCA number: the card's holder gets an
        audit entry (the number itself is never written into it)."""
        response = super().change_view(request, object_id, form_url, extra_context)
        reject = (getattr(response, "context_data", None) or {}).get("original")
        if reject is not None and response.status_code == 200:
            numbers = set(ICOCA_NUMBER_IN_TEXT.findall(reject.line))
            holders = Card.objects.filter(icoca_number__in=numbers).values_list("member_id", flat=True) if numbers else []
            services.member_reads_record(
                staff=request.user, member_ids=list(holders), what="feed_reject", reject=str(reject.pk)
            )
        return response

    def get_fields(self, request, obj=None):
        line = "line_full" if roles.sees_full_icoca_number(request.user) else "line_masked"
        return ("feed_file", "imported_at", "line_no", "kind", "key", "why", line)
