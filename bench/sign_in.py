"""Signing in with WESTER ID through the real local provider."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from bench import benchmark
from bench.measure import BenchmarkFailed, expect, measure
from bench.provider import identity_provider, wester_id_settings
from bench.runner import WALL

SUB = "demo-hanako"  # a demo member the local provider knows
LOGIN = "/accounts/oidc/wester-id/login/"
START = "portal: login start (POST)"
CALLBACK = "portal: callback (GET)"


@benchmark("round_trip")
def round_trip(*, samples: int, warmup: int):
    """A returning member (previous session ended) signs in with WESTER ID
    through the local oidc-provider-mock process: the portal's two requests
    (the login start POST, and the callback GET, which itself calls the
    provider for discovery, the token, the keys and the user info) as server
    time, and the whole round trip (POST login → provider's authorize POST →
    callback) as wall time."""
    with identity_provider() as provider_url, override_settings(
        SOCIALACCOUNT_PROVIDERS=wester_id_settings(settings, provider_url)
    ):
        provider = requests.Session()  # the browser: keeps its connection to the provider

        def iteration(timer):
            client = Client()  # a browser without a session
            with timer("round trip incl. provider", clock=WALL):
                with timer(START):
                    start = client.post(LOGIN)
                expect(start, 302)
                answer = provider.post(start["Location"], data={"sub": SUB}, allow_redirects=False, timeout=10)
                if answer.status_code not in (302, 303):
                    raise BenchmarkFailed(f"provider answered {answer.status_code}: {answer.text[:300]}")
                callback = urlsplit(answer.headers["Location"])
                with timer(CALLBACK):
                    done = client.get(callback.path, dict(parse_qsl(callback.query)))
            expect(done, 302, location=settings.LOGIN_REDIRECT_URL)
            if "_auth_user_id" not in client.session:
                raise BenchmarkFailed("the callback did not sign the member in")
            # End the session, as members do: each sign-in then finds one
            # ended session to tidy (allauth.usersessions checks every session
            # the member still has, one query each, so never-ended sessions
            # would make every sample slower than the last).
            client.logout()

        return measure(iteration, samples=samples, warmup=warmup, totals={"portal: both requests": (START, CALLBACK)})
