"""The navigation and team tabs show each persona what it may open, and mark where it is."""

import pytest

from console.context_processors import nav_section

pytestmark = pytest.mark.django_db

CLUSTER_ADMIN_LINKS = (
    'href="/clusters/"',
    'href="/clusters/failed-namespaces/"',
    'href="/staff/capacity/"',
    'href="/staff/runtimes/"',
    'href="/billing/prices/"',
    'href="/billing/runs/"',
    'href="/admin/"',
)


def _page(client, user, url="/"):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_everyone_signed_in_gets_the_main_sections(client, world):
    body = _page(client, world.member)
    for href in ('href="/"', 'href="/teams/"', 'href="/access/"', 'href="/settings/tokens/"'):
        assert href in body
    assert "Account</a>" in body


def test_members_see_neither_finance_nor_cluster_admin(client, world):
    body = _page(client, world.member)
    assert 'href="/billing/finance/"' not in body
    assert "Cluster admin" not in body
    assert not any(link in body for link in CLUSTER_ADMIN_LINKS)


def test_finance_sees_finance_but_not_cluster_admin(client, world):
    body = _page(client, world.finance)
    assert 'href="/billing/finance/"' in body
    assert "Cluster admin" not in body


def test_staff_see_finance_and_every_cluster_admin_page(client, world):
    body = _page(client, world.admin)
    assert 'href="/billing/finance/"' in body
    assert "Cluster admin" in body
    assert all(link in body for link in CLUSTER_ADMIN_LINKS)


def test_the_current_page_and_its_section_are_marked(client, world):
    body = _page(client, world.member, "/teams/acme/")
    assert '<a href="/teams/" aria-current="true">Teams</a>' in body
    assert '<a href="/" aria-current' not in body
    body = _page(client, world.member, "/teams/")
    assert '<a href="/teams/" aria-current="page">Teams</a>' in body


def test_small_screens_get_a_menu_that_needs_no_javascript(client, world):
    body = _page(client, world.member)
    assert '<details class="nav-narrow">' in body
    assert "<summary>Menu</summary>" in body


@pytest.mark.parametrize(
    "view_name, section",
    [
        ("dashboard", "dashboard"),
        ("team_detail", "teams"),
        ("namespace_detail", "teams"),
        ("metering:namespace_usage", "teams"),
        ("billing:team", "teams"),
        ("namespace_error_list", "admin"),
        ("billing:pricebook_edit", "admin"),
        ("metering:staff_capacity", "admin"),
        ("billing:finance_statement", "finance"),
        ("access_revoke", "access"),
        ("account_email", "account"),
        ("healthz", ""),
    ],
)
def test_nav_section_of_each_kind_of_page(view_name, section):
    assert nav_section(view_name) == section


def test_member_without_billing_role_gets_no_billing_tab(client, world):
    body = _page(client, world.member, "/teams/acme/")
    assert 'href="/billing/teams/acme/"' not in body
    assert 'href="/teams/acme/quota/"' in body
    assert 'href="/teams/acme/audit/"' not in body


@pytest.mark.parametrize("persona", ["billing", "manager", "owner"])
def test_billing_roles_get_the_billing_tab(client, world, persona):
    body = _page(client, getattr(world, persona), "/teams/acme/")
    assert 'href="/billing/teams/acme/"' in body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_only_owners_get_the_settings_tab(client, world, language):
    client.cookies["django_language"] = language
    assert 'href="/teams/acme/settings/"' in _page(client, world.owner, "/teams/acme/quota/")
    for persona in ("manager", "member", "billing"):
        assert 'href="/teams/acme/settings/"' not in _page(client, getattr(world, persona), "/teams/acme/"), (
            persona
        )


def test_team_tabs_mark_the_open_one_on_every_team_page(client, world):
    for url, label in [
        ("/teams/acme/", "Overview"),
        ("/teams/acme/quota/", "Quota"),
        ("/billing/teams/acme/", "Billing"),
        ("/teams/acme/audit/", "Audit log"),
    ]:
        body = _page(client, world.owner, url)
        assert f'<a href="{url}" aria-current="page">{label}</a>' in body, url


def test_finance_outside_the_team_gets_finance_crumbs_not_team_tabs(client, world):
    body = _page(client, world.finance, "/billing/teams/acme/")
    assert '<a href="/billing/finance/">Finance</a>' in body
    assert 'aria-label="Team"' not in body
