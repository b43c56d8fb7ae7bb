"""Fixtures the member page tests share (modules with other needs define their own)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import MemberFactory


@pytest.fixture
def member():
    return MemberFactory(name="山田 花子")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
