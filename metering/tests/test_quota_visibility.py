"""Who sees which allocations and quota requests, who may ask, and who is offered to decide."""

import pytest
from django.urls import reverse

from metering.amounts import parse_amounts
from metering.models import QuotaRequest
from metering.services.quotas import namespace_quota_set, quota_request_create, team_quota_ensure
from metering.tests.test_views import api
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db

QUOTA_PAGE = reverse("metering:team_quota", args=["acme"])
QUOTA_API = "/api/v1/teams/acme/quota/"
REQUESTS_API = "/api/v1/teams/acme/quota-requests/"


@pytest.fixture
def hidden(world):
    """A second namespace of the team with its own allocation and request; only the team's
    owners and managers (and its own members, of whom there are none) may see it."""
    team_quota_ensure(team=world.team)
    namespace = NamespaceFactory(team=world.team, name="acme-secret")
    for ns in (world.namespace, namespace):
        namespace_quota_set(actor=world.owner, namespace=ns, amounts=parse_amounts({"cpu": "1"}))
    quota_request_create(
        actor=world.manager,
        namespace=namespace,
        increments=parse_amounts({"pods": "1"}),
        reason="secret plan",
    )
    quota_request_create(
        actor=world.developer, namespace=world.namespace, increments=parse_amounts({"pods": "1"}), reason="ci"
    )
    return namespace


def test_a_namespace_member_sees_only_their_namespaces_on_the_quota_page(client, world, hidden):
    client.force_login(world.viewer)
    body = client.get(QUOTA_PAGE).content.decode()
    assert "acme-dev" in body
    assert "acme-secret" not in body
    assert "secret plan" not in body
    client.force_login(world.manager)
    body = client.get(QUOTA_PAGE).content.decode()
    assert "acme-secret" in body and "secret plan" in body


def test_a_namespace_member_sees_only_their_namespaces_in_the_api(world, hidden):
    allocations = api(world.viewer).get(QUOTA_API).json()["allocations"]
    assert [a["namespace"] for a in allocations] == ["acme-dev"]
    requests = api(world.viewer).get(REQUESTS_API).json()
    assert [r["namespace"] for r in requests] == ["acme-dev"]
    manager_view = api(world.manager).get(QUOTA_API).json()["allocations"]
    assert [a["namespace"] for a in manager_view] == ["acme-dev", "acme-secret"]
    assert len(api(world.manager).get(REQUESTS_API).json()) == 2


def test_a_team_member_without_namespaces_sees_the_totals_but_no_allocation_and_cannot_ask(
    client, world, hidden
):
    assert api(world.member).get(QUOTA_API).json()["allocations"] == []
    assert api(world.member).get(REQUESTS_API).json() == []
    client.force_login(world.member)
    body = client.get(QUOTA_PAGE).content.decode()
    assert "Team quota" in body
    assert "acme-dev" not in body
    assert 'id="quota-request-form"' not in body


def test_a_request_for_a_namespace_the_user_cannot_see_is_refused_on_the_page_and_the_api(
    client, world, hidden
):
    before = QuotaRequest.objects.count()
    body = {"namespace": "acme-secret", "reason": "sneaky", "increments": {"cpu": "1"}}
    assert api(world.viewer).post(REQUESTS_API, body, format="json").status_code == 404
    client.force_login(world.viewer)
    form = client.get(QUOTA_PAGE).content.decode()
    assert 'value="acme-secret"' not in form
    client.post(
        reverse("metering:quota_request_new", args=["acme"]),
        {"namespace": "acme-secret", "cpu": "1", "reason": "sneaky"},
    )
    assert QuotaRequest.objects.count() == before


def _pending_block(body: str, request_id: int) -> str:
    start = body.index(f'id="request-{request_id}"')
    return body[start : body.index("</article>", start)]


def test_approve_is_offered_only_to_who_can_approve_and_the_page_says_who_decides(client, world, hidden):
    within = QuotaRequest.objects.get(reason="ci")
    beyond = quota_request_create(
        actor=world.developer,
        namespace=world.namespace,
        increments=parse_amounts({"cpu": "64"}),
        reason="big",
    )
    client.force_login(world.manager)
    body = client.get(QUOTA_PAGE).content.decode()
    assert f"Approve #{within.pk}" in _pending_block(body, within.pk)
    assert "owners and managers decide" in _pending_block(body, within.pk)
    beyond_block = _pending_block(body, beyond.pk)
    assert f"Approve #{beyond.pk}" not in beyond_block
    assert f"Deny #{beyond.pk}" in beyond_block
    assert "only a cluster admin can approve this" in beyond_block

    client.force_login(world.admin)
    assert f"Approve #{beyond.pk}" in _pending_block(client.get(QUOTA_PAGE).content.decode(), beyond.pk)

    client.force_login(world.developer)
    body = client.get(QUOTA_PAGE).content.decode()
    assert "Approve #" not in body and "Deny #" not in body
    assert "only a cluster admin can approve this" in _pending_block(body, beyond.pk)


def test_the_request_form_says_who_decides_before_and_the_message_after(client, world, hidden):
    client.force_login(world.developer)
    form = client.get(QUOTA_PAGE).content.decode()
    assert "within the team's remaining quota" in form and "only a cluster admin" in form
    url = reverse("metering:quota_request_new", args=["acme"])
    small = client.post(url, {"namespace": "acme-dev", "pods": "1", "reason": "a"}, follow=True)
    assert "the team&#x27;s owners and managers decide" in small.content.decode()
    big = client.post(url, {"namespace": "acme-dev", "cpu": "64", "reason": "b"}, follow=True)
    assert "a cluster admin decides" in big.content.decode()
