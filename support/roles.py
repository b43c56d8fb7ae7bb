"""The support center's roles, in one place.

- ``support_agent``: finds members and sees their page (cards with masked
  numbers, passes, usage, payment methods (masked), documents, refunds, the
  member's own audit trail), looks up feed rejects, and runs the actions on a
  member's behalf. Read only on money: no add/change/delete on anything.
- ``support_supervisor``: all of that, plus the full ICOCA number and the
  audit log of staff (who looked at or acted on which member).
- ``support_operator``: all of that, plus the unfiltered lists of documents,
  payment cards, usage and points (every member at once). An agent or a
  supervisor reaches those lists only within one member.
- A staff account in none of these groups sees nothing of members.
- Superusers are for administrators of the site (staff accounts, groups).

Every read of a member's data by any of them leaves an audit entry
(``support.member_view``: who, which member, which page, when).

The groups are created by the migrations ``support/0001`` and ``0002`` from
``GROUPS`` below; ``groups_sync`` may be run again (it sets exactly these
permissions). ``create_staff NAME --role agent|supervisor|operator`` puts a
new account in one of them.
"""

from __future__ import annotations

AGENT = "support_agent"
SUPERVISOR = "support_supervisor"
OPERATOR = "support_operator"

ACT_FOR_MEMBER = "support.act_for_member"
VIEW_FULL_ICOCA_NUMBER = "support.view_full_icoca_number"
VIEW_STAFF_AUDIT = "support.view_staff_audit"
BROWSE_MEMBER_DATA = "support.browse_member_data"

AGENT_PERMISSIONS = (
    "accounts.view_member",
    "accounts.view_auditevent",
    "cards.view_card",
    "cards.view_commuterpass",
    "cards.view_usagerecord",
    "cards.view_refund",
    "cards.view_pointsentry",
    "cards.view_feedimport",
    "cards.view_feedreject",
    "billing.view_paymentmethod",
    "billing.view_document",
    ACT_FOR_MEMBER,
)
SUPERVISOR_PERMISSIONS = (*AGENT_PERMISSIONS, VIEW_FULL_ICOCA_NUMBER, VIEW_STAFF_AUDIT)
OPERATOR_PERMISSIONS = (*SUPERVISOR_PERMISSIONS, BROWSE_MEMBER_DATA)

GROUPS: dict[str, tuple[str, ...]] = {
    AGENT: AGENT_PERMISSIONS,
    SUPERVISOR: SUPERVISOR_PERMISSIONS,
    OPERATOR: OPERATOR_PERMISSIONS,
}

# ``create_staff --role``: the word typed, the group it stands for.
ROLE_GROUPS: dict[str, str] = {"agent": AGENT, "supervisor": SUPERVISOR, "operator": OPERATOR}

# How staff screens name the groups (a group's name is its identifier).
GROUP_LABELS: dict[str, str] = {
    AGENT: "サポート担当",
    SUPERVISOR: "サポート監督者",
    OPERATOR: "サポート運用担当",
}


def group_label(name: str) -> str:
    from django.utils.translation import gettext

    label = GROUP_LABELS.get(name)
    return gettext(label) if label else name


def groups_sync(apps, groups: dict[str, tuple[str, ...]] | None = None) -> None:
    """Create the groups with exactly their permissions (``apps``: the
    migration's or django.apps.apps; ``groups``: those a migration knew of)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True  # historical app configs have none; create_permissions skips those
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in (groups or GROUPS).items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in wanted:
            app_label, codename = dotted.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def is_support(user) -> bool:
    """May see members at all."""
    return bool(user.is_active and user.is_staff and user.has_perm("accounts.view_member"))


def sees_full_icoca_number(user) -> bool:
    return user.has_perm(VIEW_FULL_ICOCA_NUMBER)


def sees_staff_audit(user) -> bool:
    return user.has_perm(VIEW_STAFF_AUDIT) and user.has_perm("accounts.view_auditevent")


def may_browse_member_data(user) -> bool:
    """May open the lists of documents, payment cards, usage and points of
    every member at once (not only within one member)."""
    return bool(is_support(user) and user.has_perm(BROWSE_MEMBER_DATA))


def may_act_for_member(user) -> bool:
    return user.has_perm(ACT_FOR_MEMBER)
