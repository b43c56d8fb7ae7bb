"""The environment as the settings read it: django-environ's ``Env``, with two rules of ours.

- ``NAME=`` (an empty line in an env file or a compose file) leaves the setting at its default.
- A yes/no variable says yes or no: ``DEBUG=ture`` or ``PAYMENT_SANDBOX_ALLOWED=maybe`` stops
  the start with the variable's name, instead of being read as false without a word.
"""

from __future__ import annotations

import os

import environ
from django.core.exceptions import ImproperlyConfigured

FALSE_STRINGS = ("false", "off", "no", "n", "0")


class Env(environ.Env):
    def __init__(self, **scheme) -> None:
        super().__init__(**scheme)
        self.ENVIRON = {name: value for name, value in os.environ.items() if value != ""}

    def bool(self, var, default=environ.Env.NOTSET):
        raw = self.ENVIRON.get(var)
        if raw is not None and raw.strip().lower() not in (*self.BOOLEAN_TRUE_STRINGS, *FALSE_STRINGS):
            raise ImproperlyConfigured(f"{var}={raw!r} is neither true nor false: write true or false (1 or 0)")
        return super().bool(var, default=default)
