"""`make run PORT=…`: the local identity provider's port follows the web server's, or is a free one."""

from __future__ import annotations

import shlex
import socket
from io import StringIO

from portal.management.commands.run_local import Command, _port_free, provider_port
from support.roles import ROLE_GROUPS


def _free_pair() -> int:
    """A web port whose provider port (web + 1400) is free too."""
    for web in range(8100, 8600):
        if _port_free("127.0.0.1", web) and _port_free("127.0.0.1", web + 1400):
            return web
    raise AssertionError("no free pair of ports")


def test_the_provider_port_follows_the_web_port():
    web = _free_pair()
    assert provider_port(web) == web + 1400


def test_a_taken_provider_port_gives_a_free_one():
    web = _free_pair()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", web + 1400))
        taken.listen()
        chosen = provider_port(web)
        assert chosen not in (web, web + 1400)
        assert _port_free("127.0.0.1", chosen)


def test_a_web_port_far_from_8000_still_gets_a_usable_port():
    chosen = provider_port(65000)  # 66400 does not exist
    assert 1024 <= chosen <= 65535 and chosen != 65000


def test_the_welcome_gives_a_create_staff_command_that_names_a_role():
    out = StringIO()
    Command(stdout=out)._print_welcome(8000, "http://127.0.0.1:9400")
    line = next(line for line in out.getvalue().splitlines() if "create_staff" in line)
    words = shlex.split(line)
    assert words[words.index("--role") + 1] in ROLE_GROUPS  # create_staff refuses an account without one
