"""Create a support-center staff account in a role (--role agent|supervisor|
operator, see support/roles.py) or as a superuser, or (--reset-password) give
one a new password. The password is asked for (or read from standard input
with --password-stdin); TOTP is set up at first sign-in."""

from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import staff_create, staff_password_reset
from support.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = (
        "Create a support-center staff account (TOTP is set up at the first sign-in), "
        "or give one a new password with --reset-password."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--role",
            choices=sorted(ROLE_GROUPS),
            help="agent: member search and pages, masked ICOCA numbers; supervisor: also whole numbers and "
            "the staff audit; operator: also the unfiltered lists of member data. Required unless --superuser.",
        )
        parser.add_argument(
            "--superuser", action="store_true", help="a site administrator (all permissions, staff accounts)"
        )
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        parser.add_argument(
            "--reset-password", action="store_true", help="give an existing staff account a new password instead"
        )

    def handle(self, *args, username: str, email: str, superuser: bool, password_stdin: bool, **options):
        role = options.get("role")
        if options["reset_password"] and (email or superuser or role):
            raise CommandError(
                "--reset-password はパスワードだけを変えます。--email、--role や --superuser と一緒には使えません。"
            )
        if not options["reset_password"]:
            if role and superuser:
                raise CommandError("--role と --superuser のどちらか一方を指定してください。何も作成していません。")
            if not role and not superuser:
                raise CommandError(
                    "--role agent|supervisor|operator（または --superuser）を指定してください。"
                    "役割のないアカウントは会員の情報を何も見られません。何も作成していません。"
                )
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("2回入力したパスワードが一致しません。何も変更していません。")
        if options["reset_password"]:
            return self._reset_password(username, password)
        try:
            staff = staff_create(
                username=username, email=email, password=password, superuser=superuser,
                group=ROLE_GROUPS[role] if role else None,
            )
        except ValidationError as error:
            raise CommandError("何も作成していません: " + " ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Created staff account {staff.username!r} ({role or 'superuser'}). "
                "Sign in at /admin/ and set up TOTP when asked."
            )
        )

    def _reset_password(self, username: str, password: str) -> None:
        try:
            staff = staff_password_reset(username=username, password=password)
        except ValidationError as error:
            raise CommandError("パスワードは変更していません: " + " ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Reset the password of staff account {staff.username!r}; its sessions have ended. TOTP is unchanged."
            )
        )
