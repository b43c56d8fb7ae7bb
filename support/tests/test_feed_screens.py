"""The feed screens of the support center: the card center files imported (with an import
that never finished saying so) and their rejected lines (the last imports', or one
import's from its link), searchable by record id or ICOCA number; the number in a line is
masked for agents."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from cards.models import FeedImport, FeedReject
from support.selectors import RECENT_IMPORTS
from support.tests.helpers import agent, supervisor

pytestmark = pytest.mark.django_db

NUMBER = "JW7A0000000123456"
LINE = json.dumps({"type": "usage", "id": "U-9", "icoca_number": NUMBER, "amount": 580})
IMPORTS = "/admin/cards/feedimport/"
REJECTS = "/admin/cards/feedreject/"


def feed(name: str, *, finished: bool = True, rejects: int = 0) -> FeedImport:
    row = FeedImport.objects.create(
        file_name=name, finished_at=timezone.now() if finished else None, read=10, imported=10 - rejects,
        rejected=rejects,
    )
    for line in range(1, rejects + 1):
        FeedReject.objects.create(
            feed_import=row, line_number=line, record_type="usage", record_key=f"U-{name}-{line}",
            reason="usage.amount must be < 0 for kind 'ride' (got 580)", line=LINE,
        )
    return row


def test_the_imports_say_what_became_of_each_file(client):
    old = feed("/srv/feed/2026-11-24.jsonl", rejects=2)
    feed("/srv/feed/2026-11-25.jsonl", finished=False)
    client.force_login(agent())
    page = client.get(IMPORTS).content.decode()
    assert "/srv/feed/2026-11-24.jsonl" in page and "/srv/feed/2026-11-25.jsonl" in page
    assert "未完了（実行中、またはエラーで中断）" in page and "完了 " in page and "取り込めなかった行" in page
    assert f'href="{REJECTS}?feed_import={old.pk}"' in page and "2 行" in page
    assert "/admin/cards/feedimport/add/" not in page  # read only


def test_one_imports_rejects_open_from_its_link_however_old(client):
    oldest = feed("oldest.jsonl", rejects=1)
    for day in range(RECENT_IMPORTS):
        feed(f"day-{day}.jsonl", rejects=1)
    client.force_login(agent())
    recent = {r.feed_import_id for r in client.get(REJECTS).context["cl"].result_list}
    assert oldest.pk not in recent and len(recent) == RECENT_IMPORTS
    lines = client.get(REJECTS, {"feed_import": oldest.pk}).context["cl"].result_list
    assert [r.record_key for r in lines] == ["U-oldest.jsonl-1"]
    searched = client.get(REJECTS, {"feed_import": oldest.pk, "q": "U-oldest.jsonl-1"}).context["cl"].result_list
    assert len(searched) == 1


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999999", ""])
def test_a_bad_import_in_the_address_is_no_error(client, value):
    client.force_login(agent())
    response = client.get(REJECTS, {"feed_import": value})
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("value", ["abc", "99999999999999999999999", "-99999999999999999999999"])
@pytest.mark.parametrize("flagged", [False, True], ids=["", "with-e"])
def test_an_import_no_row_can_have_is_a_wrong_address_on_every_database(client, value, flagged):
    """Beyond a 64-bit id, as for letters, the admin's own answer to a wrong filter (the list
    with ?e=1), also on SQLite, which cannot bind such a number."""
    client.force_login(agent())
    response = client.get(REJECTS, {"feed_import": value, **({"e": "1"} if flagged else {})})
    if flagged and value == "abc":  # Django's own: the page that says the filter is wrong
        assert response.status_code == 200
        return
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(("staff", "shown"), [(agent, "JW•••••••••••3456"), (supervisor, NUMBER)])
def test_a_rejected_line_by_icoca_number_masked_for_agents(client, staff, shown):
    row = feed("feed.jsonl", rejects=1).rejects.get()
    client.force_login(staff())
    assert [r.pk for r in client.get(REJECTS, {"q": NUMBER}).context["cl"].result_list] == [row.pk]
    page = client.get(reverse("admin:cards_feedreject_change", args=[row.pk])).content.decode()
    assert shown in page and "must be &lt; 0" in page
    if staff is agent:
        assert NUMBER not in page
