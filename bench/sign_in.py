"""Signing in with WESTER ID through the real local provider."""

from __future__ import annotations

import time
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from bench import Target, benchmark
from bench.measure import BenchmarkFailed, expect, measure
from bench.provider import identity_provider, wester_id_settings
from bench.runner import SERVER, WALL, Measurement

SUB = "demo-hanako"  # a demo member the local provider knows
LOGIN = "/accounts/oidc/wester-id/login/"
START = "portal: login start (POST)"
CALLBACK = "portal: callback (GET)"
OWN = "portal: callback without waiting for the provider"
WAITING = "portal: callback waiting for the provider: "  # + token, user info, other


def waited_for(url: str) -> str:
    """What a request of the callback to the provider was for (oidc-provider-mock's paths)."""
    path = urlsplit(url).path
    return {"/oauth2/token": "token", "/userinfo": "user info"}.get(path, "other")


@contextmanager
def provider_waits(waits: list[dict[str, float]]):
    """While inside, each HTTP request the portal sends (to the provider) adds its
    milliseconds to ``waits[-1]``, under what it was for (``waited_for``)."""
    send = requests.Session.send

    def timed(session, request, **kwargs):
        started = time.perf_counter_ns()
        try:
            return send(session, request, **kwargs)
        finally:
            what = waited_for(request.url)
            waits[-1][what] = waits[-1].get(what, 0.0) + (time.perf_counter_ns() - started) / 1e6

    requests.Session.send = timed
    try:
        yield
    finally:
        requests.Session.send = send


@benchmark("round_trip", targets=[Target(CALLBACK, "median", at_most_ms=40)])  # issue 16 §4
def round_trip(*, samples: int, warmup: int):
    """A returning member (previous session ended) signs in with WESTER ID
    through the local oidc-provider-mock process: the portal's two requests
    (the login start POST, and the callback GET, which itself calls the
    provider for the token and the user info) as server
    time, and the whole round trip (POST login → provider's authorize POST →
    callback) as wall time. The callback is also shown without the time it waits for the
    provider's answers (the token and the user info; the discovery document comes from the
    cache): the portal's own work, which the provider's speed does not change; and the time
    it waits for each of the provider's answers (the local provider's share, with the
    portal's sending and reading of the request and answer)."""
    with identity_provider() as provider_url, override_settings(
        SOCIALACCOUNT_PROVIDERS=wester_id_settings(settings, provider_url),
        # Every sample starts from 127.0.0.1: the per-address limit on sign-in starts (60 a
        # minute) is still counted, never reached.
        PORTAL_LIMITS={**settings.PORTAL_LIMITS, "sign_in_start": (10**9, 60)},
    ):
        provider = requests.Session()  # the browser: keeps its connection to the provider
        waits: list[dict[str, float]] = []  # per callback: ms waiting for the provider, by request
        own: list[float] = []  # per timed callback: its ms without those waits
        waited: dict[str, list[float]] = {"token": [], "user info": [], "other": []}  # per timed callback

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
                waits.append({})
                with timer(CALLBACK), provider_waits(waits):
                    done = client.get(callback.path, dict(parse_qsl(callback.query)))
                if timer.mode == "time":
                    own.append(timer.ms[CALLBACK][-1] - sum(waits[-1].values()))
                    for what, ms in waited.items():
                        ms.append(waits[-1].get(what, 0.0))
            expect(done, 302, location=settings.LOGIN_REDIRECT_URL)
            if "_auth_user_id" not in client.session:
                raise BenchmarkFailed("the callback did not sign the member in")
            # End the session, as members do: each sign-in then finds one
            # ended session to tidy (allauth.usersessions checks every session
            # the member still has, one query each, so never-ended sessions
            # would make every sample slower than the last).
            client.logout()

        results = measure(iteration, samples=samples, warmup=warmup, totals={"portal: both requests": (START, CALLBACK)})
        at = next(n for n, m in enumerate(results) if m.label == CALLBACK) + 1
        waiting = [Measurement(WAITING + what, ms=ms, clock=SERVER) for what, ms in waited.items() if any(ms)]
        return [*results[:at], Measurement(OWN, ms=own, clock=SERVER), *waiting, *results[at:]]
