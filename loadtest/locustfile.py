"""What members do on the portal, for Locust (``python -m loadtest`` runs it headless).

The mix (weights are requests per 100 of a signed-in member's, see docs/performance.md,
"Load" for the reasons). A Locust user is one member's visit of 10 to 30 pages after another,
each visit a different member's session:

| page                                   | weight |
|----------------------------------------|-------:|
| マイページ ``/``                         | 30 |
| a card page ``/cards/<id>/``           | 10 |
| 利用履歴, first page                    | 16 |
| 利用履歴, the next pages (「次の50件」)    | 8 |
| 利用履歴 filtered (a card, a month, a kind) | 8 |
| the year's CSV                          | 1 |
| points ``/points/``                     | 8 |
| payment methods ``/payment-methods/``   | 5 |
| documents ``/documents/``               | 8 |
| a receipt asked for (last month)        | 2 |
| a ready document downloaded             | 4 |

Plus ``SignInMember``: a member signing in through the local WESTER ID provider (the whole
round trip), looking at マイページ and signing out, paced (``LOAD_SIGN_INS_PER_MINUTE``).
``Baseline`` asks only for ``/load/baseline``, the bare view the mix is compared with.

Environment: ``LOAD_SESSIONS`` (the file ``load_prepare --sessions`` wrote),
``LOAD_SIGN_IN_SUBS`` (WESTER IDs, comma separated, of members who sign in),
``LOAD_WAIT`` (seconds a member waits between pages: ``0`` finds the throughput; ``1-5``
is a member reading), ``LOAD_SIGN_INS_PER_MINUTE``.
"""

from __future__ import annotations

import os
import random
import re
from datetime import date
from http.cookiejar import Cookie

from locust import between, constant, constant_pacing, task
from locust.contrib.fasthttp import FastHttpUser

from loadtest.member_sessions import Sessions

CARD = re.compile(r'href="(/cards/[0-9a-f-]{36}/)"')
NEXT = re.compile(r'href="(/history/\?[^"]*after=[^"]+)"')
# The receipt refusal for a period with no card payment, in either language of the pages.
NO_CARD_PAYMENTS = ("この期間に登録カードでのお支払いはありません", "There were no card payments in this period")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DOWNLOAD = re.compile(r'href="(/documents/[0-9a-f-]{36}/download/)"')
KINDS = ("ride", "charge", "purchase")


SESSIONS = Sessions(os.environ.get("LOAD_SESSIONS", ""))
#: A member's visit: this many pages, then another member's visit begins.
VISIT_PAGES = (10, 30)


def _wait():
    text = os.environ.get("LOAD_WAIT", "0")
    if "-" in text:
        low, high = (float(part) for part in text.split("-", 1))
        return between(low, high)
    return constant(float(text))


def _cookie(name: str, value: str) -> Cookie:
    return Cookie(0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, False, None, None,
                  {})


def _last_month() -> str:
    today = date.today()
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{year:04d}-{month:02d}"


class SignedInMember(FastHttpUser):
    """A member already signed in (a session made by ``load_prepare``), using the portal."""

    weight = 10
    pause = _wait()

    def wait_time(self) -> float:
        """Between two tasks (never inside one): a member who has seen their pages leaves,
        and the next member's visit begins."""
        if self.pages_left <= 0:
            self.visit()
        return self.pause()

    def on_start(self) -> None:
        self.visit()

    def visit(self) -> None:
        """The next member's visit: their session, from マイページ on."""
        session = SESSIONS.next()
        self.client.cookiejar.clear()
        self.client.cookiejar.set_cookie(_cookie(session["cookie"], session["session"]))
        self.cards: list[str] = []
        self.downloads: list[str] = []
        self.pages_left = random.randint(*VISIT_PAGES)
        self.home()

    def page(self, path: str, name: str, **kwargs):
        """GET a member page; anything but 200 (a redirect to the sign-in page included) fails."""
        self.pages_left -= 1
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            return response

    @task(30)
    def home(self) -> None:
        response = self.page("/", "マイページ /")
        found = CARD.findall(response.text or "")
        if found:
            self.cards = sorted(set(found))

    @task(10)
    def card(self) -> None:
        if self.cards:
            self.page(random.choice(self.cards), "card /cards/<id>/")

    @task(16)
    def history(self) -> None:
        self.page("/history/", "history first page")

    @task(8)
    def history_deeper(self) -> None:
        """「次の50件」, one to four times, as a member looking for an older ride does."""
        response = self.page("/history/", "history first page")
        for _ in range(random.randint(1, 4)):
            found = NEXT.findall(response.text or "")
            if not found:
                return
            response = self.page(found[0].replace("&amp;", "&"), "history next page")

    @task(8)
    def history_filtered(self) -> None:
        choice = random.random()
        if choice < 0.4 and self.cards:
            card = self.cards[0].split("/")[2]
            self.page(f"/history/?card={card}", "history filtered")
        elif choice < 0.8:
            self.page(f"/history/?month={_last_month()}", "history filtered")
        else:
            self.page(f"/history/?kind={random.choice(KINDS)}", "history filtered")

    @task(1)
    def history_csv(self) -> None:
        self.page("/history/export.csv", "history CSV (year)")

    @task(8)
    def points(self) -> None:
        self.page("/points/", "points")

    @task(5)
    def payment_methods(self) -> None:
        self.page("/payment-methods/", "payment methods")

    @task(8)
    def documents(self) -> None:
        response = self.page("/documents/", "documents")
        self.downloads = DOWNLOAD.findall(response.text or "")

    @task(2)
    def document_request(self) -> None:
        """Last month's receipt: the first time it is made (a render on the ``documents``
        queue); asked again, the member gets the one made already (no new render)."""
        response = self.page("/documents/", "documents")
        token = CSRF.search(response.text or "")
        if token is None:
            return
        with self.client.post("/documents/request/", data={"csrfmiddlewaretoken": token.group(1), "mode": "month",
                                                            "month": _last_month()},
                              name="document request (POST)", allow_redirects=False, catch_response=True) as answer:
            # A member who paid nothing by card last month is told so (400): a right answer too.
            refused_rightly = answer.status_code == 400 and any(text in (answer.text or "") for text in NO_CARD_PAYMENTS)
            if answer.status_code == 302 or refused_rightly:
                answer.success()
            else:
                answer.failure(f"{answer.status_code}")

    @task(4)
    def download(self) -> None:
        if self.downloads:
            with self.client.get(random.choice(self.downloads), name="document download (PDF)",
                                 allow_redirects=False, catch_response=True) as response:
                if response.status_code != 200 or not (response.content or b"").startswith(b"%PDF"):
                    response.failure(f"{response.status_code}")


class SignInMember(FastHttpUser):
    """A member signing in with WESTER ID through the local provider: the portal's sign-in
    page, the login POST, the provider, the callback; then マイページ and sign-out."""

    fixed_count = int(os.environ.get("LOAD_SIGN_IN_USERS", "1"))
    wait_time = constant_pacing(60 / max(float(os.environ.get("LOAD_SIGN_INS_PER_MINUTE", "12")), 0.1))

    def on_start(self) -> None:
        self.subs = [s for s in os.environ.get("LOAD_SIGN_IN_SUBS", "").split(",") if s] or ["demo-hanako"]

    @task
    def sign_in(self) -> None:
        self.client.cookiejar.clear()
        start = self.client.get("/", name="sign-in page (signed out)")
        token = CSRF.search(start.text or "")
        if token is None:
            return
        login = self.client.post("/accounts/oidc/wester-id/login/", data={"csrfmiddlewaretoken": token.group(1)},
                                 name="sign-in: login start (POST)", allow_redirects=False)
        if login.status_code != 302:
            return
        # A new connection each time: the provider's server closes an idle one after 5 s, the
        # pace of these sign-ins, and a request on a connection it is closing fails with no answer.
        with self.client.post(login.headers["Location"], data={"sub": random.choice(self.subs)},
                              name="sign-in: WESTER ID (provider)", allow_redirects=False,
                              headers={"Connection": "close"}, catch_response=True) as answer:
            if answer.status_code not in (302, 303):
                answer.failure(f"{answer.status_code}")
                return
        callback = answer.headers["Location"]
        with self.client.get(callback, name="sign-in: callback", allow_redirects=False,
                             catch_response=True) as done:
            if done.status_code != 302 or done.headers.get("Location") != "/":
                done.failure(f"{done.status_code} {done.headers.get('Location')}")
                return
        home = self.client.get("/", name="マイページ /")
        token = CSRF.search(home.text or "")
        if token is not None:
            self.client.post("/accounts/logout/", data={"csrfmiddlewaretoken": token.group(1)},
                             name="sign-out (POST)", allow_redirects=False)


class Baseline(FastHttpUser):
    """The yardstick: one row read by a bare view on the same server."""

    weight = 1  # run by name only (python -m loadtest)
    wait_time = _wait()

    @task
    def baseline(self) -> None:
        self.client.get("/load/baseline", name="bare view (one row)")



class SignedIn(FastHttpUser):
    """A member's session, for the steps that ask for one page only."""

    abstract = True
    wait_time = _wait()

    def on_start(self) -> None:
        session = SESSIONS.next()
        self.client.cookiejar.set_cookie(_cookie(session["cookie"], session["session"]))


class BaselineSignedIn(SignedIn):
    """The bare view asked for by a signed-in member: the same view as ``Baseline`` with a
    member's request cycle (the session, the member's row, the idle timeout) around it."""

    weight = 1  # run by name only (python -m loadtest)

    @task
    def baseline(self) -> None:
        with self.client.get("/load/baseline", name="bare view, signed in", allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")


class HomeOnly(SignedIn):
    """マイページ alone, for the comparison with the bare view."""

    weight = 1  # run by name only (python -m loadtest)

    @task
    def home(self) -> None:
        with self.client.get("/", name="マイページ /", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
