import pytest
from django.urls import reverse

from tenants.models import AuditEvent, TeamMembership, TeamRole
from tests.factories import TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def _url(name, *args):
    return reverse(name, args=args)


@pytest.mark.parametrize(
    "url",
    [
        "/teams/",
        "/teams/new/",
        "/teams/acme/",
        "/teams/acme/audit/",
        "/teams/acme/leave/",
        "/teams/acme/transfer/",
    ],
)
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["team_detail", "team_audit", "team_leave", "team_transfer"])
def test_outsider_gets_404_for_another_teams_pages(client, world, name):
    client.force_login(world.outsider)
    assert client.get(_url(name, "acme")).status_code == 404
    assert client.post(_url(name, "acme")).status_code == 404


@pytest.mark.parametrize(
    ("persona", "name"),
    [
        ("member", "team_audit"),
        ("billing", "team_audit"),
        ("manager", "team_transfer"),
        ("member", "team_transfer"),
    ],
)
def test_members_lacking_the_role_get_403(client, world, persona, name):
    client.force_login(getattr(world, persona))
    assert client.get(_url(name, "acme")).status_code == 403


def test_team_list_shows_only_my_teams_and_paginates(client, world, settings):
    settings.TENANTRY_PAGE_SIZE = 2
    for n in range(2):
        TeamMembershipFactory(user=world.owner, team=TeamFactory(name=f"Zeta {n}"), role=TeamRole.OWNER)
    client.force_login(world.owner)
    first = client.get("/teams/").content.decode()
    assert "Acme" in first
    assert "Globex" not in first
    assert "Page 1 of 2" in first
    assert "Zeta 1" in client.get("/teams/?page=2").content.decode()


def test_team_list_empty_state_says_what_to_do(client, world):
    TeamMembership.objects.filter(user=world.member).delete()
    client.force_login(world.member)
    assert "Create one" in client.get("/teams/").content.decode()


def test_team_create_makes_the_creator_owner(client, world):
    client.force_login(world.member)
    response = client.post("/teams/new/", {"name": "Research Lab", "slug": ""})
    assert response.status_code == 302
    assert response["Location"] == "/teams/research-lab/"
    assert TeamMembership.objects.get(team__slug="research-lab", user=world.member).role == TeamRole.OWNER


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"name": "", "slug": ""}, "This field is required."),
        ({"name": "X", "slug": "Bad_Slug"}, "DNS-1123"),
        ({"name": "X", "slug": "acme"}, "The address &#x27;acme&#x27; is taken"),
    ],
)
def test_team_create_form_errors_rerender_with_field_errors(client, world, data, field_error):
    client.force_login(world.member)
    response = client.post("/teams/new/", data)
    assert response.status_code == 200
    assert field_error in response.content.decode()


def test_team_create_with_htmx_returns_only_the_form_on_error(client, world):
    client.force_login(world.member)
    response = client.post("/teams/new/", {"name": ""}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="team-form")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="team-form"')
    assert "This field is required." in body


def test_team_create_with_htmx_redirects_the_client_on_success(client, world):
    client.force_login(world.member)
    response = client.post("/teams/new/", {"name": "Ops"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="team-form")
    assert response["HX-Redirect"] == "/teams/ops/"


def test_team_page_shows_management_controls_to_managers(client, world):
    client.force_login(world.manager)
    body = client.get("/teams/acme/").content.decode()
    assert f'href="{_url("invitation_create", "acme")}"' in body
    assert f'href="{_url("namespace_create", "acme")}"' in body
    assert reverse("member_role", args=["acme", world.member.team_memberships.get().pk]) in body
    assert "Transfer ownership" not in body  # owners only


def test_team_page_hides_management_controls_from_members(client, world):
    client.force_login(world.developer)
    body = client.get("/teams/acme/").content.decode()
    assert world.owner.email in body
    assert "acme-dev" in body
    assert _url("invitation_create", "acme") not in body
    assert _url("namespace_create", "acme") not in body
    assert "/role/" not in body
    assert "Audit log" not in body


def test_member_without_namespaces_sees_what_to_do(client, world):
    client.force_login(world.member)
    assert "Ask a team owner or manager to add you" in client.get("/teams/acme/").content.decode()


def test_team_page_serves_the_members_partial_to_htmx(client, world):
    client.force_login(world.owner)
    response = client.get("/teams/acme/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="members")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="members"')
    assert "<html" not in body


def test_team_page_paginates_members(client, world, settings):
    settings.TENANTRY_PAGE_SIZE = 3
    client.force_login(world.owner)
    body = client.get("/teams/acme/?members_page=3").content.decode()
    assert "Page 3 of 3" in body


def test_audit_log_filters_by_action_prefix_and_actor(client, world):
    AuditEvent.objects.create(
        team=world.team, actor_repr="owner@example.com", action="member.added", target_type="user"
    )
    AuditEvent.objects.create(
        team=world.team, actor_repr="manager@example.com", action="member.removed", target_type="user"
    )
    AuditEvent.objects.create(
        team=world.team, actor_repr="owner@example.com", action="namespace.created", target_type="namespace"
    )
    AuditEvent.objects.create(
        team=world.other_team, actor_repr="outsider@example.com", action="member.added", target_type="user"
    )
    client.force_login(world.manager)
    body = client.get("/teams/acme/audit/?action=member.&actor=owner").content.decode()
    assert "<code>member.added</code>" in body
    assert "<code>member.removed</code>" not in body
    assert "<code>namespace.created</code>" not in body
    assert "outsider@example.com" not in body


def test_audit_log_paginates(client, world, settings):
    settings.TENANTRY_PAGE_SIZE = 2
    for n in range(5):
        AuditEvent.objects.create(
            team=world.team, actor_repr="o@example.com", action=f"x.{n}", target_type="t"
        )
    client.force_login(world.owner)
    body = client.get("/teams/acme/audit/?page=3").content.decode()
    assert "Page 3 of 3" in body
    assert "x.0" in body


def test_leave_team_confirms_then_removes_me(client, world):
    client.force_login(world.member)
    assert "Leave team" in client.get("/teams/acme/leave/").content.decode()
    response = client.post("/teams/acme/leave/")
    assert response.status_code == 302
    assert not TeamMembership.objects.filter(team=world.team, user=world.member).exists()


def test_last_owner_cannot_leave_and_sees_why(client, world):
    client.force_login(world.owner)
    response = client.post("/teams/acme/leave/")
    assert response.status_code == 200
    assert "Transfer ownership first" in response.content.decode()
    assert TeamMembership.objects.filter(team=world.team, user=world.owner).exists()


def test_owner_transfers_ownership(client, world):
    manager_membership = TeamMembership.objects.get(team=world.team, user=world.manager)
    client.force_login(world.owner)
    response = client.post("/teams/acme/transfer/", {"member": manager_membership.pk})
    assert response.status_code == 302
    assert TeamMembership.objects.get(pk=manager_membership.pk).role == TeamRole.OWNER
    assert TeamMembership.objects.get(team=world.team, user=world.owner).role == TeamRole.MANAGER


def test_transfer_to_someone_outside_the_team_is_a_field_error(client, world):
    foreign = TeamMembership.objects.get(team=world.other_team, user=world.outsider)
    client.force_login(world.owner)
    response = client.post("/teams/acme/transfer/", {"member": foreign.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_team_list_counts_every_member_of_the_team(client, world):
    from tenants.selectors import teams_for_user

    assert teams_for_user(user=world.member).get(slug="acme").member_count == 7


def test_team_page_member_rows_select_each_members_role_among_the_roles_the_viewer_may_give(client, world):
    client.force_login(world.manager)
    body = client.get("/teams/acme/").content.decode()
    billing = world.billing.team_memberships.get().pk
    row = body.split(f'<tr id="member-row-{billing}">', 1)[1].split("</tr>", 1)[0]
    assert '<option value="billing" selected>Billing</option>' in row
    assert '<option value="member">Member</option>' in row
    assert 'value="owner"' not in row  # managers do not hand out ownership
    assert f'action="{_url("member_role", "acme", billing)}"' in row
    assert f'href="{_url("member_remove", "acme", billing)}"' in row
    owner = world.owner.team_memberships.get().pk
    owner_row = body.split(f'<tr id="member-row-{owner}">', 1)[1].split("</tr>", 1)[0]
    assert "<select" not in owner_row and "Owner" in owner_row
    own_row = body.split(f'<tr id="member-row-{world.manager.team_memberships.get().pk}">', 1)[1]
    assert "(you)" in own_row.split("</tr>", 1)[0]
