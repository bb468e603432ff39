"""Staff overview: every team, namespace and user with search and filters; a team's staff view;
disabling an account (sessions, tokens and RoleBindings end; audited)."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import BillingAccount
from clusters.kube.spec import platform_settings_from_django
from clusters.provisioning import desired_objects
from tenants.models import ApiToken, AuditEvent, Namespace, NamespaceStatus
from tenants.services.tokens import api_token_create
from tests.factories import NamespaceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def overview(client, user, **query):
    client.force_login(user)
    return client.get(reverse("staff_overview"), query)


def names(response) -> list[str]:
    return [getattr(row, "name", None) or row.email for row in response.context["rows"]]


def test_teams_are_searched_and_filtered(client, world):
    BillingAccount.objects.create(team=world.other_team, balance=Decimal("-3"), band="debt")
    assert names(overview(client, world.admin)) == ["Acme", "Globex"]
    assert names(overview(client, world.admin, q="glob")) == ["Globex"]
    assert names(overview(client, world.admin, trust_level="trusted")) == ["Acme"]
    assert names(overview(client, world.admin, band="debt")) == ["Globex"]
    html = overview(client, world.admin, band="debt").content.decode()
    assert reverse("staff_team", args=["globex"]) in html and "-3" in html


def test_namespaces_are_filtered_by_status_and_cluster(client, world):
    Namespace.objects.filter(pk=world.other_namespace.pk).update(status=NamespaceStatus.ERROR)
    assert names(overview(client, world.admin, tab="namespaces", status="error")) == ["globex-prod"]
    assert names(overview(client, world.admin, tab="namespaces", q="acme")) == ["acme-dev"]


def test_users_are_filtered_by_state(client, world):
    world.viewer.is_active = False
    world.viewer.save()
    disabled = overview(client, world.admin, tab="users", state="disabled")
    assert [u.username for u in disabled.context["rows"]] == ["viewer"]
    assert [
        u.username for u in overview(client, world.admin, tab="users", state="staff").context["rows"]
    ] == ["admin"]


def test_overview_queries_do_not_grow_with_data(client, world):
    def count(tab):
        client.force_login(world.admin)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("staff_overview"), {"tab": tab}).status_code == 200
        return len(queries)

    before = {tab: count(tab) for tab in ("teams", "namespaces", "users")}
    for index in range(8):
        team = TeamFactory(name=f"Team {index}", slug=f"team-{index}")
        NamespaceFactory(team=team, name=f"team-{index}-ns")
        UserFactory(username=f"user{index}")
    assert {tab: count(tab) for tab in before} == before


def test_the_staff_team_view_and_the_quota_breadcrumb_lead_to_each_other(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("staff_team", args=["acme"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "acme-dev" in html and world.owner.email in html
    quota = client.get(reverse("metering:team_quota", args=["acme"])).content.decode()
    assert reverse("staff_team", args=["acme"]) in quota
    assert f'href="{reverse("team_detail", args=["acme"])}"' not in quota  # staff got a 404 there


def test_disabling_a_user_ends_sessions_tokens_and_bindings(
    client, world, django_capture_on_commit_callbacks
):
    session = Client()
    session.force_login(world.developer)
    assert session.get(reverse("dashboard")).status_code == 200
    _, raw = api_token_create(user=world.developer, name="ci")
    platform = platform_settings_from_django(settings)
    account = platform.user_service_account(world.developer.pk)

    def bound() -> bool:
        objects = desired_objects(Namespace.objects.get(pk=world.namespace.pk), platform)
        return any(
            s.get("name") == account
            for o in objects
            if o["kind"] == "RoleBinding"
            for s in o.get("subjects", [])
        )

    assert bound()
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("staff_user_disable", args=[world.developer.pk]), {"reason": "left the company"}
        )
    assert response.status_code == 302
    assert callbacks  # the team's namespaces are re-applied after commit
    world.developer.refresh_from_db()
    assert not world.developer.is_active
    assert session.get(reverse("dashboard")).status_code == 302  # signed out
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert ApiToken.objects.get(user=world.developer).revoked_at is not None
    assert not bound()  # the next apply removes the RoleBinding
    events = AuditEvent.objects.filter(action="user.disabled")
    assert {e.team_id for e in events} == {None, world.team.pk}
    assert events.first().data["reason"] == "left the company"


def test_disabling_needs_a_reason_and_never_oneself(client, world):
    client.force_login(world.admin)
    url = reverse("staff_user_disable", args=[world.member.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = client.post(reverse("staff_user_disable", args=[world.admin.pk]), {"reason": "x"})
    assert "You cannot disable your own account." in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_a_disabled_user_can_be_enabled_again(client, world):
    world.member.is_active = False
    world.member.save()
    client.force_login(world.admin)
    client.post(reverse("staff_user_enable", args=[world.member.pk]))
    world.member.refresh_from_db()
    assert world.member.is_active
    assert AuditEvent.objects.filter(action="user.enabled").exists()
