"""The portal's pages, as a member sees them."""

from __future__ import annotations

from django.test import Client

from accounts.demo import DEMO_MEMBERS
from accounts.services import member_sign_in
from bench import benchmark
from bench.measure import expect, measure


@benchmark("home_signed_in")
def home_signed_in(*, samples: int, warmup: int):
    """マイページ (`/`) for a signed-in member (force_login), the session
    saved on every request as in production."""
    claims = DEMO_MEMBERS[0]
    member = member_sign_in(wester_id="bench-home", claims=claims)
    client = Client()
    client.force_login(member)

    def iteration(timer):
        with timer("GET / (signed in)"):
            response = client.get("/")
        expect(response, 200, contains=claims["name"])

    return measure(iteration, samples=samples, warmup=warmup)


@benchmark("home_signed_out")
def home_signed_out(*, samples: int, warmup: int):
    """The sign-in page (`/` without a session), the first page every member sees."""

    def iteration(timer):
        client = Client()
        with timer("GET / (signed out)"):
            response = client.get("/")
        expect(response, 200, contains="/accounts/oidc/wester-id/login/")

    return measure(iteration, samples=samples, warmup=warmup)
