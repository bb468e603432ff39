"""The first-run story in a real browser: sign up, verify, create a team, invite, accept, change role."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tenants.models import TeamMembership, TeamRole

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tenantry-Browser-Passw0rd"


@pytest.fixture
def console(live_server, settings, cluster):
    """The console on a live server, provisioning (eagerly) onto the emulator."""
    settings.ACCOUNT_RATE_LIMITS = False
    settings.SITE_URL = live_server.url
    return live_server.url


def _link_in_last_email(to: str, pattern: str) -> str:
    message = next(m for m in reversed(mail.outbox) if to in m.to)
    return re.search(pattern, message.body).group(0)


def test_signup_invite_accept_and_role_change(console, new_page):
    alice = new_page()
    alice.goto(f"{console}/accounts/signup/")
    alice.get_by_label("Email").fill("alice@example.com")
    alice.get_by_label("Password", exact=True).fill(PASSWORD)
    alice.get_by_label("Password (again)").fill(PASSWORD)
    alice.get_by_role("button", name="Sign Up").click()
    expect(alice.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    alice.goto(_link_in_last_email("alice@example.com", r"http://\S+/accounts/confirm-email/\S+/"))
    alice.get_by_role("button", name="Confirm").click()
    expect(alice.get_by_role("heading", name="Dashboard")).to_be_visible()

    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    alice.get_by_role("link", name="New team").click()
    alice.get_by_label("Name").fill("Platform")
    alice.get_by_role("button", name="Create team").click()
    expect(alice.get_by_role("heading", name="Platform", level=1)).to_be_visible()

    alice.get_by_role("link", name="Invite someone").click()
    invite = alice.locator("#invite-form")
    invite.get_by_label("Email").fill("bob@example.com")
    invite.get_by_label("Team role").select_option("member")
    invite.get_by_role("button", name="Send invitation").click()
    expect(alice.get_by_text("Invitation sent to bob@example.com.")).to_be_visible()

    bob = new_page()
    bob.goto(_link_in_last_email("bob@example.com", r"http://\S+/invitations/\S+/"))
    expect(bob.get_by_role("heading", name="Invitation to Platform")).to_be_visible()
    bob.get_by_role("main").get_by_role("link", name="Create account").click()
    expect(bob.get_by_label("Email")).to_have_value("bob@example.com")
    bob.get_by_label("Password", exact=True).fill(PASSWORD)
    bob.get_by_label("Password (again)").fill(PASSWORD)
    bob.get_by_role("button", name="Sign Up").click()
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob.get_by_text("Welcome to Platform.")).to_be_visible()

    alice.reload()
    alice.get_by_label("Role of bob@example.com").select_option("manager")
    expect(alice.get_by_text("Role changed to Manager.")).to_be_visible()
    assert (
        TeamMembership.objects.get(team__slug="platform", user__email="bob@example.com").role
        == TeamRole.MANAGER
    )
