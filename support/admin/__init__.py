"""The support center in the admin, where Django's admin autodiscovery looks
(``support.admin``). Each module registers its screens:

- ``members``: member search and the member page (replacing the member change
  form for members); ``member_actions``: the actions on a member's behalf;
- ``audit``: the audit log and the staff reads, for supervisors;
- ``feed``: the feed imports and the feed lookup;
- ``member_data``: documents, payment cards and registrations, reminders, usage
  and points, audited and within one member;
- ``staff_accounts``: groups, staff authenticators and sessions in Japanese.
"""

from support.admin import audit, feed, member_data, members, staff_accounts  # noqa: F401 (they register)
