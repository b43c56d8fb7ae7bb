"""The support center in the admin: member search and the member page
(replacing the member change form for members), actions on a member's
behalf, the feed imports and the feed lookup, and the audit log for
supervisors."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from accounts.admin import AuditEventAdmin, MemberAdmin, ReadOnlyAdmin
from accounts.exceptions import PortalError
from accounts.models import AuditEvent, Member
from billing.models import Document, DocumentStatus, ExpiryReminder, PaymentMethod, PaymentRegistration
from cards.masking import mask_icoca_number
from cards.models import Card, FeedImport, FeedReject, PointsEntry, UsageRecord
from cards.selectors import SUSPENDABLE_STATUSES
from support import roles, selectors, services
from support.forms import DocumentActionForm, LostDeviceForm, ReadsForm, ReasonForm


@dataclass(frozen=True)
class Action:
    slug: str
    title: str
    button: str
    form: type


ACTIONS = {
    action.slug: action
    for action in (
        Action("lost-device", "紛失・故障の再発行登録", "利用を停止する", LostDeviceForm),
        Action("document-resend", "書類をメールで再送", "メールを送る", DocumentActionForm),
        Action("document-rerun", "書類を作り直す", "作り直す", DocumentActionForm),
        Action("sessions-end", "すべてのログインを終了", "ログインを終了する", ReasonForm),
        Action("unlock", "ロックを解除", "ロックを解除する", ReasonForm),
    )
}

admin.site.unregister(Member)
admin.site.unregister(AuditEvent)


@admin.register(Member)
class SupportMemberAdmin(MemberAdmin):
    """Operators (superusers) keep the account form for staff accounts; for a
    member, everyone who may see members gets the member page."""

    list_per_page = 50
    show_full_result_count = False
    search_fields = ("wester_id",)  # only to show the search box; get_search_results does the work
    search_help_text = "WESTER ID、氏名（一部）、メールアドレス、ICOCA番号（17文字、または末尾4〜6文字）のどれかで検索できます。"

    def get_list_display(self, request):
        if request.user.is_superuser:
            return ("member_name", "wester_id", "email", "is_staff", "last_signed_in_at")
        return ("member_name", "wester_id", "email", "is_active", "last_signed_in_at")

    def get_fieldsets(self, request, obj=None):
        """A staff account's form: one 「最終ログイン」 (the password sign-in),
        not also the WESTER ID one a staff account never has."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.wester_id:
            return fieldsets
        return [
            (title, {**options, "fields": tuple(f for f in options["fields"] if f not in ("last_signed_in_at", "wester_id"))})
            for title, options in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = lambda group: roles.group_label(group.name)  # サポート担当, not support_agent
        return field

    @admin.display(description="氏名")
    def member_name(self, member):
        return member.display_name

    def get_list_filter(self, request):
        return super().get_list_filter(request) if request.user.is_superuser else ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(wester_id__isnull=False, is_staff=False, is_superuser=False)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            # Support finds a member by a key; it does not browse two million of them.
            return (queryset if request.user.is_superuser else queryset.none()), False
        ids, _kinds = selectors.member_search_ids(search_term, base=queryset)
        if request.user.is_superuser:
            ids += list(queryset.filter(username=search_term.strip()).values_list("pk", flat=True)[:1])
        return queryset.filter(pk__in=ids), False

    def changelist_view(self, request, extra_context=None):
        """Search results show names and e-mail addresses: each member listed
        gets an audit entry (one INSERT for the page)."""
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and cl.query:
            shown = [member.pk for member in cl.result_list if member.wester_id and not member.is_staff]
            kinds = selectors.search_kinds(cl.query)
            services.member_reads_record(
                staff=request.user, member_ids=shown, what="search", search=",".join(kind.code for kind in kinds)
            )
        return response

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/support/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name="accounts_member_support_action",
            ),
        ]
        return urls + super().get_urls()

    # --- The member page --------------------------------------------------------------------

    def _member(self, request, object_id) -> Member | None:
        member = self.get_object(request, unquote(object_id))
        if member is None or member.is_staff or member.is_superuser or not member.wester_id:
            return member if member is not None and request.user.is_superuser else None
        return member

    def change_view(self, request, object_id, form_url="", extra_context=None):
        member = self._member(request, object_id)
        if member is None:
            raise Http404
        if member.is_staff or member.is_superuser or not member.wester_id:
            return super().change_view(request, object_id, form_url, extra_context)  # an operator on a staff account
        if not self.has_view_permission(request, member):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseRedirect(request.path)
        before = selectors.UsageCursor.decode(request.GET.get("before"))
        filtered = bool(request.GET.get("card") or request.GET.get("month"))
        services.member_view_record(
            staff=request.user, member=member, what="usage_page" if before or filtered else "member_page"
        )
        page = selectors.member_page(member, user=request.user, usage_before=before, usage_query=request.GET)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{member.display_name}（{member.wester_id}）",
            "member": member,
            "page": page,
            "may_act": roles.may_act_for_member(request.user),
            **{
                f"{slug.replace('-', '_')}_url": reverse("admin:accounts_member_support_action", args=[member.pk, slug])
                for slug in ACTIONS
            },
            "document_failed": DocumentStatus.FAILED,
            "document_ready": DocumentStatus.READY,
            "usage_first_page": before is not None,
        }
        return TemplateResponse(request, "support/member_page.html", context)

    # --- Actions on the member's behalf --------------------------------------------------------

    def action_view(self, request, object_id, action):
        action = ACTIONS.get(action)
        member = self._member(request, object_id)
        if action is None or member is None or member.is_staff or member.is_superuser:
            raise Http404
        if not (self.has_view_permission(request, member) and roles.may_act_for_member(request.user)):
            raise PermissionDenied
        devices = None
        if action.slug == "lost-device":
            devices = set(
                Card.objects.filter(member=member, status__in=SUSPENDABLE_STATUSES).values_list("device", flat=True)
            )
        kwargs = {"devices": devices} if action.form is LostDeviceForm else {}
        document = None
        if request.method == "POST":
            form = action.form(request.POST, **kwargs)
            if form.is_valid():
                try:
                    message = self._run(request, member, action, form.cleaned_data)
                except PortalError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, message)
                    return HttpResponseRedirect(reverse("admin:accounts_member_change", args=[member.pk]))
        else:
            form = action.form(initial={"document": request.GET.get("document")}, **kwargs)
        if action.form is DocumentActionForm:
            document_id = form.data.get("document") if form.is_bound else request.GET.get("document")
            document = Document.objects.filter(member=member, public_id=_uuid(document_id)).first()
            if document is None:
                raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": action.title,
            "member": member,
            "action": action,
            "form": form,
            "document": document,
            "member_url": reverse("admin:accounts_member_change", args=[member.pk]),
        }
        return TemplateResponse(request, "support/member_action.html", context, status=400 if form.errors else 200)

    def _run(self, request, member, action, data) -> str:
        staff, reason = request.user, data["reason"]
        if action.slug == "lost-device":
            cards = services.support_lost_device_report(staff=staff, member=member, device=data["device"], reason=reason)
            return f"{len(cards)}枚のICOCAの利用を停止しました（再発行登録）。"
        if action.slug == "document-resend":
            document = services.support_document_resend(
                staff=staff, member=member, document_id=data["document"], reason=reason
            )
            return f"書類 {document.number} を {member.email} に送ります（メールの送信を依頼しました）。"
        if action.slug == "document-rerun":
            document = services.support_document_rerun(
                staff=staff, member=member, document_id=data["document"], reason=reason
            )
            return f"書類 {document.number} の作成をもう一度依頼しました。"
        if action.slug == "sessions-end":
            ended = services.support_sessions_end(staff=staff, member=member, reason=reason)
            return f"{ended}件のログインを終了しました。"
        services.support_member_unlock(staff=staff, member=member, reason=reason)
        return "ロックを解除しました。会員は再びログインできます。"


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@admin.register(AuditEvent)
class SupportAuditEventAdmin(AuditEventAdmin):
    """The whole audit log (every member, every staff account): supervisors
    and operators. Agents see a member's trail on the member page. Nobody can
    add, change or delete an entry here, superusers included."""

    actions = None
    list_display = ("at", "words", "member", "actor", "reason")
    fields = ("at", "words", "action", "member", "actor", "reason", "detail")
    readonly_fields = fields

    @admin.display(description="操作")
    def words(self, event):
        from support.audit_words import audit_words

        return audit_words(event.action, event.detail, event.reason)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.sees_staff_audit(request.user)

    def has_module_permission(self, request) -> bool:
        return roles.sees_staff_audit(request.user)

    def get_urls(self):
        return [
            path("reads/", self.admin_site.admin_view(self.reads_view), name="accounts_auditevent_reads"),
            *super().get_urls(),
        ]

    def reads_view(self, request):
        """閲覧の記録: every staff read of one member (by WESTER ID), or every
        read by one staff account (by user name) over a period ("who looked at
        my data?"). Supervisors and operators."""
        if not roles.sees_staff_audit(request.user):
            raise PermissionDenied
        form = ReadsForm(request.GET or None)
        reads, subject = None, None
        if form.is_bound and form.is_valid():
            reads, subject = selectors.staff_reads(**form.cleaned_data)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "閲覧の記録",
            "form": form,
            "reads": reads,
            "subject": subject,
            "limit": selectors.READS_SHOWN,
        }
        return TemplateResponse(request, "support/staff_reads.html", context)


ICOCA_NUMBER_IN_TEXT = re.compile(r"JW[0-9A-Z]{15}")


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
        return _when(feed_import.started_at)

    @admin.display(description="状態")
    def state(self, feed_import):
        if feed_import.finished_at is None:
            return "未完了（実行中、またはエラーで中断）"
        return f"完了 {_when(feed_import.finished_at)}"

    lines_read = _line_count("read", "読んだ行")
    lines_imported = _line_count("imported", "取り込んだ行")
    lines_unchanged = _line_count("unchanged", "変更なし")

    @admin.display(description="取り込めなかった行")
    def rejected_lines(self, feed_import):
        if not feed_import.rejected:
            return "0"
        url = reverse("admin:cards_feedreject_changelist") + f"?feed_import={feed_import.pk}"
        return format_html('<a href="{}">{} 行</a>', url, f"{feed_import.rejected:,}")


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


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


# --- Member data outside the member page: audited, and within one member for agents ---------


class MemberDataAdmin:
    """Mixed into the admin of every model that holds one member's data
    (documents, payment cards, payment registrations, usage, points).

    - An agent or a supervisor opens a list only within one member
      (``?member=<id>``, or ``?card__member=<id>`` for usage: the links on the
      member page); the unfiltered list (every member at once) is for
      operators (``support.browse_member_data``), and only they see the list
      in the menu.
    - Every list, detail page and PDF download writes ``support.member_view``
      for the member (each member shown, for an operator's unfiltered list):
      one INSERT per page.
    """

    member_path = "member"
    audit_page = ""

    def _member_id(self, obj) -> int | None:
        for part in self.member_path.split("__")[:-1]:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return getattr(obj, f"{self.member_path.split('__')[-1]}_id", None)

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) and roles.may_browse_member_data(request.user)

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == self.member_path or super().lookup_allowed(lookup, value, request)

    def _filtered_member(self, request) -> Member | None:
        value = request.GET.get(self.member_path)
        if value is None:
            return None
        member = selectors.members_visible().filter(pk=int(value)).first() if value.isdigit() else None
        if member is None:
            raise Http404
        return member

    def changelist_view(self, request, extra_context=None):
        member = self._filtered_member(request)
        if member is None and not roles.may_browse_member_data(request.user):
            if not self.has_view_permission(request):
                raise PermissionDenied
            # Agents and supervisors reach these lists from a member's page only.
            messages.info(request, "この一覧は会員ページから開いてください（会員を探してから）。")
            return HttpResponseRedirect(reverse("admin:index"))
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None and response.status_code == 200:
            if member is not None:
                services.member_view_record(staff=request.user, member=member, what=f"{self.audit_page}_list")
            else:
                services.member_reads_record(
                    staff=request.user, member_ids=[self._member_id(obj) for obj in cl.result_list],
                    what=f"{self.audit_page}_list",
                )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = (getattr(response, "context_data", None) or {}).get("original")
            member_id = self._member_id(obj) if obj is not None else None
            if member_id is not None:
                services.member_reads_record(
                    staff=request.user, member_ids=[member_id], what=self.audit_page, object=str(obj.pk)
                )
        return response


class DocumentPdfAudit:
    def pdf_view(self, request, pk: int):
        response = super().pdf_view(request, pk)
        document = Document.objects.filter(pk=pk).only("member_id", "number").first()
        services.member_reads_record(
            staff=request.user, member_ids=[document.member_id], what="document_pdf", document_number=document.number
        )
        return response


def _audited(model, *, page: str, member_path: str = "member", extra=()):
    """Register ``model``'s admin again with the audit and the one-member rule."""
    current = type(admin.site._registry[model])
    admin.site.unregister(model)
    audited = type(
        current.__name__, (*extra, MemberDataAdmin, current), {"member_path": member_path, "audit_page": page,
                                                                "__module__": __name__}
    )
    admin.site.register(model, audited)


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyAdmin):
    """A member's usage (from their page); every member's, for operators."""

    list_display = ("occurred_at", "card", "kind", "route", "amount", "balance")
    list_select_related = ("card",)
    fields = ("occurred_at", "card", "kind", "route", "amount", "balance", "payment_brand", "payment_last4")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-occurred_at", "-id")

    @admin.display(description="内容")
    def route(self, record):
        stations = f"{record.from_station}→{record.to_station}" if record.from_station or record.to_station else ""
        return f"{stations}{record.merchant}" or "—"


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    """A member's WESTER points ledger (from their page); every member's, for operators."""

    list_display = ("occurred_at", "member", "kind", "points", "category")
    list_select_related = ("member",)
    fields = ("occurred_at", "member", "kind", "points", "category")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-occurred_at", "-id")


_audited(Document, page="documents", extra=(DocumentPdfAudit,))
_audited(PaymentMethod, page="payment_methods")
_audited(PaymentRegistration, page="payment_registrations")
_audited(UsageRecord, page="usage", member_path="card__member")
_audited(PointsEntry, page="points")
_audited(ExpiryReminder, page="expiry_reminders", member_path="payment_method__member")


# --- Group names in Japanese, other apps' screens in Japanese ----------------------------------

from allauth.mfa.admin import AuthenticatorAdmin  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.usersessions.admin import UserSessionAdmin  # noqa: E402
from allauth.usersessions.models import UserSession  # noqa: E402
from django.contrib.auth.admin import GroupAdmin  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402

admin.site.unregister(Group)
admin.site.unregister(Authenticator)
admin.site.unregister(UserSession)


@admin.register(Group)
class SupportGroupAdmin(GroupAdmin):
    """Groups by their Japanese names (the name stays the identifier)."""

    list_display = ("label", "name")

    @admin.display(description="役割", ordering="name")
    def label(self, group):
        return roles.group_label(group.name)


@admin.register(Authenticator)
class StaffAuthenticatorAdmin(AuthenticatorAdmin):
    list_display = ("owner", "kind", "created", "last_used")
    list_filter = ("type",)

    @admin.display(description="スタッフ", ordering="user__username")
    def owner(self, authenticator):
        return authenticator.user.username

    @admin.display(description="種類", ordering="type")
    def kind(self, authenticator):
        return {"totp": "認証アプリ（TOTP）", "recovery_codes": "リカバリーコード"}.get(authenticator.type, authenticator.type)

    @admin.display(description="登録日時", ordering="created_at")
    def created(self, authenticator):
        return _when(authenticator.created_at)

    @admin.display(description="最終使用", ordering="last_used_at")
    def last_used(self, authenticator):
        return _when(authenticator.last_used_at) if authenticator.last_used_at else "—"


@admin.register(UserSession)
class StaffUserSessionAdmin(UserSessionAdmin):
    list_display = ("owner", "started", "last_seen", "ip", "user_agent")

    @admin.display(description="アカウント", ordering="user__username")
    def owner(self, session):
        return session.user.username

    @admin.display(description="開始", ordering="created_at")
    def started(self, session):
        return _when(session.created_at)

    @admin.display(description="最終アクセス", ordering="last_seen_at")
    def last_seen(self, session):
        return _when(session.last_seen_at)
