"""Language and time zone: Accept-Language, the switcher, the stored choice, invitations, emails."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tenants.locale import SESSION_LANGUAGE
from tenants.models import AccountPreferences, Invitation
from tenants.services.invitations import hash_invitation_token, invitation_create
from tests.factories import InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

ZH = "zh-hans"


def _lang(response) -> str:
    return response["Content-Language"]


def test_accept_language_chooses_the_page_language(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert _lang(response) == ZH
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "登录" in response.content.decode()
    english = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert _lang(english) == "en"
    assert "Sign in" in english.content.decode()


def test_anonymous_switch_sets_a_cookie_that_beats_accept_language(client):
    response = client.post(reverse("language_set"), {"language": ZH, "next": reverse("account_login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ZH
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(page) == ZH


def test_switch_goes_back_to_the_page_it_was_on(client):
    response = client.post(
        reverse("language_set"), {"language": ZH}, HTTP_REFERER="http://testserver/accounts/signup/"
    )
    assert response["Location"] == "http://testserver/accounts/signup/"


def test_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.post(reverse("language_set"), {"language": "klingon"}).status_code == 400
    response = client.post(reverse("language_set"), {"language": ZH, "next": "https://evil.example/"})
    assert response["Location"] == "/"
    response = client.post(reverse("language_set"), {"language": ZH}, HTTP_REFERER="https://evil.example/")
    assert response["Location"] == "/"


@pytest.mark.parametrize("back", ["0", "dashboard", "9999-12-31T23:59", '{"not": json', "名前"])
def test_switch_back_to_something_that_is_no_path_goes_home(client, back):
    """``redirect()`` took these for view names to reverse: a 500 for all but "dashboard"."""
    response = client.post(reverse("language_set"), {"language": ZH, "next": back})
    assert (response.status_code, response["Location"]) == (302, "/")
    response = client.post(reverse("language_set"), {"language": ZH}, HTTP_REFERER=back)
    assert (response.status_code, response["Location"]) == (302, "/")


def test_signed_in_switch_is_stored_on_the_account_and_follows_to_a_new_session(client, world):
    client.force_login(world.member)
    client.post(reverse("language_set"), {"language": ZH, "next": "/"})
    assert AccountPreferences.objects.get(user=world.member).language == ZH
    assert _lang(client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")) == ZH

    other_browser = type(client)()
    other_browser.force_login(world.member)
    page = other_browser.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(page) == ZH
    assert "概览" in page.content.decode()


def test_the_switcher_is_in_the_header_of_every_page(client, world):
    client.force_login(world.member)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("language_set")}"' in page
    assert 'value="zh-hans"' in page


def test_preferences_page_stores_language_and_time_zone(client, world):
    client.force_login(world.member)
    assert client.get(reverse("preferences")).status_code == 200
    response = client.post(reverse("preferences"), {"language": ZH, "time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    stored = AccountPreferences.objects.get(user=world.member)
    assert (stored.language, stored.time_zone) == (ZH, "Asia/Shanghai")
    assert client.session[SESSION_LANGUAGE] == ZH


def test_preferences_page_rejects_unknown_values_with_field_errors(client, world):
    client.force_login(world.member)
    response = client.post(reverse("preferences"), {"language": "xx", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"language", "time_zone"}


def test_preferences_need_an_account(client):
    assert client.get(reverse("preferences")).status_code == 302


def test_dates_are_shown_in_the_accounts_time_zone(client, world):
    from tenants.services.preferences import preferences_set

    preferences_set(user=world.member, time_zone="Asia/Shanghai")
    client.force_login(world.member)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert str(response.context["TIME_ZONE"]) == "Asia/Shanghai"


def test_api_errors_follow_accept_language(client, world):
    response = client.get("/api/v1/teams/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code in (401, 403)
    assert _lang(response) == ZH
    assert response.json()["detail"] != response.json()["detail"].encode("ascii", "ignore").decode()


# --- Invitations and emails ----------------------------------------------------------------------


RAW = "raw-token-for-locale-tests"


def test_invitation_email_goes_out_in_the_chosen_language(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            actor=world.owner, team=world.team, email="li@example.com", language=ZH, now=timezone.now()
        )
    assert invitation.language == ZH
    assert "您受邀加入" in mail.outbox[-1].subject
    assert "接受邀请" in mail.outbox[-1].body


def test_invitation_email_follows_the_invitees_stored_language(world, django_capture_on_commit_callbacks):
    invitee = UserFactory(email="wang@example.com")
    AccountPreferences.objects.create(user=invitee, language=ZH)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=world.owner, team=world.team, email="wang@example.com", now=timezone.now())
    assert Invitation.objects.get(email="wang@example.com").language == ZH
    assert "您受邀加入" in mail.outbox[-1].subject


def test_email_language_is_the_recipients_not_the_senders(client, world, django_capture_on_commit_callbacks):
    """An inviter browsing in Chinese invites someone whose account says English."""
    invitee = UserFactory(email="smith@example.com")
    AccountPreferences.objects.create(user=invitee, language="en")
    client.force_login(world.owner)
    client.post(reverse("language_set"), {"language": ZH})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invitation_create", args=["acme"]), {"email": "smith@example.com", "team_role": "member"}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].subject.startswith("You're invited to Acme")


def test_invitation_pages_speak_the_invitations_language_to_a_visitor(client, world):
    InvitationFactory(
        team=world.team,
        email="zhao@example.com",
        invited_by=world.owner,
        language=ZH,
        token_hash=hash_invitation_token(RAW),
    )
    page = client.get(reverse("invitation_accept", args=[RAW]), HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(page) == ZH
    # The sign-up page the link leads to stays in that language.
    signup = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(signup) == ZH


def test_a_visitors_own_choice_beats_the_invitations_language(client, world):
    InvitationFactory(
        team=world.team,
        email="zhao@example.com",
        invited_by=world.owner,
        language=ZH,
        token_hash=hash_invitation_token(RAW),
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert _lang(client.get(reverse("invitation_accept", args=[RAW]))) == "en"


def test_signup_stores_the_language_it_was_made_in(client):
    client.post(reverse("language_set"), {"language": ZH})
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-Long-pass-phrase-1",
            "password2": "a-Long-pass-phrase-1",
        },
    )
    stored = AccountPreferences.objects.get(user__email="new@example.com")
    assert stored.language == ZH
    assert mail.outbox, "the verification email"
    assert mail.outbox[-1].subject.isascii() is False
