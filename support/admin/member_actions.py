"""Actions on a member's behalf, from the member page: each a form with a
reason, allowed to the roles that may act for a member, and one support
service call (support/services.py) that writes the audit entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.exceptions import PortalError
from billing.models import Document
from cards.models import Card
from cards.selectors import SUSPENDABLE_STATUSES
from support import roles, services
from support.forms import DocumentActionForm, LostDeviceForm, ReasonForm


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


class MemberActions:
    """Mixed into the member admin (support/admin/members.py), which gives
    ``_member``: the action URL, its page and what each action runs."""

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/support/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name="accounts_member_support_action",
            ),
        ]
        return urls + super().get_urls()

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
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
