"""A member whose WESTER ID sends no romaji name (only ``name``, e.g. 「検証 花子」): the
name as printed on their cards is asked once, before the card entry, checked, audited,
shown and changed on /settings/, and the holder name is compared with it."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from accounts.services import member_card_name_set
from accounts.tests.factories import MemberFactory
from billing.payment_methods.exceptions import CardNameRequired, PaymentRegistrationFailed
from billing.payment_methods.models import PaymentMethod, PaymentRegistration, RegistrationFailure
from billing.payment_methods.payment_cards import (
    CardNameInvalid,
    card_name_clean,
    holder_name_matches,
    romaji_name_source,
)
from billing.payment_methods.services.registration import payment_registration_complete, payment_registration_start
from billing.tests.sandbox_client import RETURN_URL, register_through_sandbox

NAME_ONLY = {"first_name": "", "last_name": "", "name": "検証 花子"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("HANAKO KENSHO", "HANAKO KENSHO"),
        ("  hanako   kensho ", "HANAKO KENSHO"),
        ("ＨＡＮＡＫＯ　ＫＥＮＳＨＯ", "HANAKO KENSHO"),
        ("Li", "LI"),
    ],
)
def test_a_card_name_is_stored_as_cards_print_it(typed, stored):
    assert card_name_clean(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("検証 花子", "letters"),
        ("けんしょう はなこ", "letters"),
        ("HANAKO2 KENSHO", "letters"),
        ("O'BRIEN", "letters"),
        ("HANAKO-KENSHO", "letters"),
        ("<script>", "letters"),
        ("HANAKO\nKENSHO\x00", "letters"),
        ("Ä", "letters"),
        ("A", "short"),
        ("A" * 46, "long"),
    ],
)
def test_a_card_name_that_is_not_a_to_z_and_spaces_is_refused(typed, code):
    with pytest.raises(CardNameInvalid) as error:
        card_name_clean(typed)
    assert error.value.code == code


def test_wester_ids_romaji_name_comes_first_then_the_members():
    assert romaji_name_source(given_name="HANAKO", family_name="YAMADA", card_name="OTHER NAME") == (
        "HANAKO YAMADA", "wester_id"
    )
    assert romaji_name_source(given_name="", family_name="", full_name="Emily Carter", card_name="X Y") == (
        "EMILY CARTER", "wester_id"
    )
    assert romaji_name_source(given_name="", family_name="", full_name="検証 花子", card_name="HANAKO KENSHO") == (
        "HANAKO KENSHO", "member"
    )
    assert romaji_name_source(given_name="", family_name="", full_name="検証 花子") == ("", "")


@pytest.mark.parametrize(
    ("holder", "matches"),
    [("HANAKO KENSHO", True), ("kensho hanako", True), ("HANAKOKENSHO", True), ("TARO KENSHO", False), ("", False)],
)
def test_the_holder_name_is_compared_with_the_members_card_name(holder, matches):
    assert holder_name_matches(holder, given_name="", family_name="", full_name="検証 花子",
                               card_name="HANAKO KENSHO") is matches


# --- Stored and audited --------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_each_change_of_the_card_name_is_audited_once():
    member = MemberFactory(**NAME_ONLY)
    member_card_name_set(member=member, card_name="hanako kensho")
    member_card_name_set(member=member, card_name="HANAKO KENSHO")  # the same: nothing to record
    member_card_name_set(member=member, card_name="HANAKO SATO")
    member.refresh_from_db()
    assert member.card_name == "HANAKO SATO"
    entries = list(AuditEvent.objects.filter(member=member, action="member.card_name_set").order_by("id"))
    assert [(e.detail["before"], e.detail["after"]) for e in entries] == [
        ("", "HANAKO KENSHO"), ("HANAKO KENSHO", "HANAKO SATO")
    ]
    assert entries[0].actor == member


@pytestmark_db
def test_a_bad_card_name_changes_nothing():
    member = MemberFactory(**NAME_ONLY, card_name="HANAKO KENSHO")
    with pytest.raises(CardNameInvalid):
        member_card_name_set(member=member, card_name="検証 花子")
    member.refresh_from_db()
    assert member.card_name == "HANAKO KENSHO"
    assert not AuditEvent.objects.filter(member=member).exists()


@pytestmark_db
def test_no_registration_starts_without_a_romaji_name():
    member = MemberFactory(**NAME_ONLY)
    with pytest.raises(CardNameRequired):
        payment_registration_start(member=member, return_url=RETURN_URL)
    assert not PaymentRegistration.objects.exists()


@pytestmark_db
def test_a_card_in_the_name_the_member_gave_is_registered(client):
    member = MemberFactory(**NAME_ONLY, card_name="HANAKO KENSHO")
    result = register_through_sandbox(client, member, "4100000000000100", holder="KENSHO HANAKO")
    method = payment_registration_complete(member=member, signed_result=result)
    assert method.holder_name == "KENSHO HANAKO"


@pytestmark_db
def test_a_card_in_another_name_says_which_name_and_where_to_change_it(client):
    member = MemberFactory(**NAME_ONLY, card_name="HANAKO KENSHO")
    result = register_through_sandbox(client, member, "4100000000000100", holder="TARO TANAKA")
    with pytest.raises(PaymentRegistrationFailed) as failed:
        payment_registration_complete(member=member, signed_result=result)
    assert failed.value.registration.failure_code == RegistrationFailure.HOLDER_NAME_MISMATCH
    assert "登録されたお名前（HANAKO KENSHO）と一致しない" in str(failed.value)
    assert "設定で直して" in str(failed.value) and "WESTER ID" not in str(failed.value)
    assert not PaymentMethod.objects.exists()


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def name_only_client(client):
    member = MemberFactory(**NAME_ONLY, wester_id="name-only")
    client.force_login(member)
    client.member = member
    return client


@pytestmark_db
def test_the_list_asks_for_the_name_before_the_card_entry(name_only_client):
    page = name_only_client.get("/payment-methods/").content.decode()
    assert "WESTER IDにローマ字のお名前が登録されていません。" in page
    assert 'name="card_name"' in page and 'aria-describedby="card-name-help"' in page


@pytestmark_db
@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "カードに書かれているお名前を、ローマ字で入力してください。"),
        ("検証 花子", "ローマ字（A〜Z）と空白だけで入力してください。"),
        ("A", "2文字以上"),
        ("A" * 101, "45文字以内"),
    ],
)
def test_a_bad_name_is_refused_with_a_message_tied_to_the_field(name_only_client, typed, error):
    response = name_only_client.post("/payment-methods/register/", {"card_name": typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page and 'aria-invalid="true"' in page and "card-name-errors" in page
    assert not PaymentRegistration.objects.exists()
    name_only_client.member.refresh_from_db()
    assert name_only_client.member.card_name == ""


@pytestmark_db
def test_a_good_name_is_stored_and_the_card_entry_opens(name_only_client):
    response = name_only_client.post("/payment-methods/register/", {"card_name": "hanako kensho"})
    assert response.status_code == 302 and "/sandbox-pay/pay/" in response["Location"]
    name_only_client.member.refresh_from_db()
    assert name_only_client.member.card_name == "HANAKO KENSHO"
    assert PaymentRegistration.objects.filter(member=name_only_client.member).count() == 1
    # Asked once: the list now states the rule with the name.
    page = name_only_client.get("/payment-methods/").content.decode()
    assert "登録されたお名前「HANAKO KENSHO」と同じカードだけ" in page and 'name="card_name"' not in page


@pytestmark_db
def test_registering_again_without_a_name_goes_back_to_the_question(name_only_client):
    response = name_only_client.post("/payment-methods/register/")
    assert response.status_code == 302 and response["Location"] == "/payment-methods/"
    assert not PaymentRegistration.objects.exists()


@pytestmark_db
def test_settings_show_and_change_the_name(name_only_client):
    member = name_only_client.member
    member_card_name_set(member=member, card_name="HANAKO KENSHO")
    page = name_only_client.get("/settings/").content.decode()
    assert "HANAKO KENSHO" in page and 'action="/settings/card-name/"' in page
    bad = name_only_client.post("/settings/card-name/", {"card_name": "花子"})
    assert bad.status_code == 400 and "ローマ字（A〜Z）と空白だけ" in bad.content.decode()
    good = name_only_client.post("/settings/card-name/", {"card_name": "hanako  sato"})
    assert good.status_code == 302
    member.refresh_from_db()
    assert member.card_name == "HANAKO SATO"
    assert AuditEvent.objects.filter(member=member, action="member.card_name_set").count() == 2


@pytestmark_db
def test_settings_of_a_member_with_a_wester_id_romaji_name_only_show_it(client):
    member = MemberFactory(first_name="HANAKO", last_name="YAMADA", name="山田 花子", wester_id="hanako")
    client.force_login(member)
    page = client.get("/settings/").content.decode()
    assert "WESTER IDに登録されたお名前「HANAKO YAMADA」" in page and 'action="/settings/card-name/"' not in page


@pytestmark_db
def test_the_settings_form_changes_only_the_signed_in_members_name(name_only_client):
    other = MemberFactory(**NAME_ONLY, card_name="TARO TANAKA")
    name_only_client.post("/settings/card-name/", {"card_name": "HANAKO KENSHO", "member": other.pk})
    other.refresh_from_db()
    assert other.card_name == "TARO TANAKA"
    assert name_only_client.get("/settings/card-name/").status_code == 405


@pytestmark_db
def test_signed_out_the_name_pages_send_to_sign_in(client):
    assert client.post("/settings/card-name/", {"card_name": "HANAKO KENSHO"}).status_code == 302


@pytestmark_db
def test_in_english(name_only_client):
    name_only_client.cookies["django_language"] = "en"
    page = name_only_client.post("/payment-methods/register/", {"card_name": "花子"}).content.decode()
    assert "Use only the letters A–Z and spaces." in page
    assert "Your WESTER ID has no name in Latin letters." in page
