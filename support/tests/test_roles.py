"""The two support roles: each sees and can do exactly its part, and no
admin URL answers a role that the menu does not show it."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import audit_record
from cards.models import FeedImport, FeedReject
from cards.tests.factories import PointsEntryFactory
from support import roles
from support.admin.member_actions import ACTIONS
from support.admin.member_data import MemberDataAdmin
from support.tests.helpers import agent, member_with_everything, staff_in, supervisor

pytestmark = pytest.mark.django_db


def test_the_migration_creates_both_groups_with_exactly_their_permissions():
    for name, wanted in roles.GROUPS.items():
        group = Group.objects.get(name=name)
        got = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert got == set(wanted), name
    agent_perms = set(roles.AGENT_PERMISSIONS)
    assert not any(p.split(".")[1].startswith(("add_", "change_", "delete_")) for p in roles.SUPERVISOR_PERMISSIONS)
    assert roles.VIEW_FULL_ICOCA_NUMBER not in agent_perms and roles.VIEW_STAFF_AUDIT not in agent_perms
    assert set(roles.SUPERVISOR_PERMISSIONS) - agent_perms == {roles.VIEW_FULL_ICOCA_NUMBER, roles.VIEW_STAFF_AUDIT}


def _objects():
    """One object of every model the admin shows, so that each change,
    history and delete URL has something to point at."""
    member, phone, _watch = member_with_everything()
    staff = staff_in(None, username="operator-x")
    audit_record(actor=member, member=member, action="test.entry")
    PointsEntryFactory(member=member)
    feed = FeedImport.objects.create(file_name="feed-20261125.txt", finished_at=timezone.now(), read=2, rejected=1)
    FeedReject.objects.create(
        feed_import=feed, line_number=2, record_type="usage", record_key="U-1", reason="unknown kind",
        line=f'{{"type":"usage","id":"U-1","icoca_number":"{phone.icoca_number}"}}',
    )
    UserSession.objects.create(user=member, ip="192.0.2.1", session_key="k" * 32, user_agent="test")
    return member, staff


def _admin_urls(member, staff) -> dict[str, str]:
    """Every URL of the admin site, by name, with real objects in it."""
    urls = {
        "index": reverse("admin:index"),
        "password_change": reverse("admin:password_change"),
        "jsi18n": reverse("admin:jsi18n"),
        "autocomplete": reverse("admin:autocomplete") + "?app_label=accounts&model_name=auditevent&field_name=member",
    }
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls[f"app_list:{opts.app_label}"] = reverse("admin:app_list", args=[opts.app_label])
        obj = member if model._meta.label == "accounts.Member" else model._default_manager.order_by("pk").first()
        for pattern in model_admin.get_urls():
            name = pattern.name
            if not name:
                continue
            candidates = []
            if pattern.pattern.converters:
                keys = list(pattern.pattern.converters)
                pk = obj.pk if obj is not None else 999999
                if "action" in keys:
                    candidates = [(f"{name}:{slug}", {"object_id": pk, "action": slug}) for slug in ACTIONS]
                else:
                    candidates = [(name, dict.fromkeys(keys, pk))]
                    if model._meta.label == "accounts.Member" and keys == ["object_id"]:
                        candidates.append((f"{name}:staff", {"object_id": staff.pk}))
            else:
                candidates = [(name, {})]
            for label, kwargs in candidates:
                try:
                    urls[label] = reverse(f"admin:{name}", kwargs=kwargs)
                except NoReverseMatch:
                    continue
            if isinstance(model_admin, MemberDataAdmin) and name.endswith("_changelist"):
                # The list within one member, as the member page links to it.
                urls[f"{name}:member"] = reverse(f"admin:{name}") + f"?{model_admin.member_path}={member.pk}"
    urls["accounts_member_changelist:search"] = reverse("admin:accounts_member_changelist") + "?q=sub-hanako"
    return urls


def reads_member_data(name: str) -> bool:
    """An admin URL (by its label in ``_admin_urls``) that shows the member's data."""
    model = name.split(":")[0].rsplit("_", 1)[0]
    member_data = {"billing_document", "billing_paymentmethod", "billing_paymentregistration", "cards_usagerecord",
                   "cards_pointsentry", "billing_expiryreminder"}
    return (
        name in ("accounts_member_change", "accounts_member_changelist:search", "cards_feedreject_change",
                 "billing_document_pdf")
        or (model in member_data and (name.endswith(("_change", ":member"))))
    )


def _menu(client) -> set[str]:
    response = client.get(reverse("admin:index"))
    return {
        f"{app['app_label']}.{model['object_name'].lower()}"
        for app in response.context["app_list"]
        for model in app["models"]
    }


AGENT_MENU = {"accounts.member", "cards.feedimport", "cards.feedreject"}
# Within one member (from the member page) for agents and supervisors; in the menu for operators.
MEMBER_DATA_LISTS = {"billing.document", "billing.paymentmethod", "cards.usagerecord", "cards.pointsentry"}


@pytest.mark.parametrize(
    ("role", "menu"),
    [(None, "none"), (roles.AGENT, "agent"), (roles.SUPERVISOR, "supervisor"), (roles.OPERATOR, "operator")],
    ids=["no-group", "agent", "supervisor", "operator"],
)
def test_each_role_sees_its_menu_and_nothing_else_answers(client, role, menu):
    member, staff = _objects()
    user = staff_in(role)
    client.force_login(user)
    supervisor_menu = AGENT_MENU | {"accounts.auditevent"}
    menu = {"none": set(), "agent": AGENT_MENU, "supervisor": supervisor_menu,
            "operator": supervisor_menu | MEMBER_DATA_LISTS}[menu]

    assert _menu(client) == menu

    reachable, unaudited = set(), []
    for name, url in _admin_urls(member, staff).items():
        before = AuditEvent.objects.filter(actor=user, member=member, action="support.member_view").count()
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), (name, url, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith("/admin/") or "/login/" in response["Location"] \
                or response["Location"] in ("/admin/",), (name, response["Location"])
        if response.status_code == 200:
            reachable.add(name)
            after = AuditEvent.objects.filter(actor=user, member=member, action="support.member_view").count()
            if reads_member_data(name) and after != before + 1:
                unaudited.append((name, after - before))
    assert unaudited == []  # every read of the member's data left exactly one entry for them
    site_wide = {"index", "password_change", "jsi18n"}
    models_reached = {name.split("_")[0] + "." + name.split("_")[1] for name in reachable - site_wide
                      if not name.startswith(("app_list:", "autocomplete"))}
    menu_names = menu | (MEMBER_DATA_LISTS if role else set())
    assert models_reached <= menu_names, models_reached - menu_names
    if role in (roles.AGENT, roles.SUPERVISOR):
        # Never every member's documents, cards, usage or points at once.
        assert not {f"{m.replace('.', '_')}_changelist" for m in MEMBER_DATA_LISTS} & reachable
        assert {f"{m.replace('.', '_')}_changelist:member" for m in MEMBER_DATA_LISTS} <= reachable
        assert {"billing_document_change", "billing_document_pdf", "cards_feedreject_change"} <= reachable
    if role == roles.OPERATOR:
        assert {f"{m.replace('.', '_')}_changelist" for m in MEMBER_DATA_LISTS} <= reachable
    assert {name for name in reachable if name.startswith("app_list:")} == {f"app_list:{m.split('.')[0]}" for m in menu}
    # Nobody in a support role adds, changes or deletes anything, nor sees a staff account.
    forbidden = [n for n in reachable if n.endswith(("_add", "_delete", "_password_change", ":staff"))]
    assert forbidden == []
    assert "autocomplete" not in reachable
    if role is None:
        assert reachable == site_wide
    else:
        assert {"accounts_member_changelist", "accounts_member_change", "cards_feedimport_changelist",
                "cards_feedreject_changelist"} <= reachable
        assert {f"accounts_member_support_action:{slug}" for slug in ("lost-device", "sessions-end", "unlock")} <= reachable
        assert ("accounts_auditevent_changelist" in reachable) == (role in (roles.SUPERVISOR, roles.OPERATOR))


def test_a_staff_account_in_no_group_sees_nothing_of_members(client):
    member, _ = _objects()
    client.force_login(staff_in(None))
    assert client.get(reverse("admin:accounts_member_changelist") + "?q=sub-hanako").status_code == 403
    assert client.get(reverse("admin:accounts_member_change", args=[member.pk])).status_code == 403
    response = client.post(
        reverse("admin:accounts_member_support_action", args=[member.pk, "sessions-end"]), {"reason": "test"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="support.").exists()


def test_support_roles_never_see_staff_accounts(client):
    _member, staff = _objects()
    client.force_login(agent())
    assert client.get(reverse("admin:accounts_member_change", args=[staff.pk])).status_code == 404
    response = client.get(reverse("admin:accounts_member_changelist") + "?q=operator-x")
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("make", [agent, supervisor], ids=["agent", "supervisor"])
def test_support_roles_cannot_change_members_or_money(client, make):
    member, _ = _objects()
    client.force_login(make())
    change = reverse("admin:accounts_member_change", args=[member.pk])
    response = client.post(change, {"username": "x", "is_staff": "on", "is_superuser": "on"})
    member.refresh_from_db()
    assert not member.is_staff and not member.is_superuser
    assert response.status_code in (302, 403)
    assert client.get(reverse("admin:accounts_member_delete", args=[member.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_member_add")).status_code == 403
    assert client.get(reverse("admin:auth_user_password_change", args=[member.pk])).status_code in (403, 404)


def test_operators_keep_the_account_form_for_staff(client):
    _member, staff = _objects()
    client.force_login(staff_in(None, superuser=True))
    response = client.get(reverse("admin:accounts_member_change", args=[staff.pk]))
    assert response.status_code == 200
    assert 'name="is_superuser"' in response.content.decode()
