from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from clusters.connections import default_cluster
from clusters.models import NamespaceProvisioning
from metering.amounts import parse_amounts
from metering.models import ClusterRuntime, ClusterState, Metric, NamespaceRuntimePolicy, UsageSample
from metering.services.quotas import namespace_quota_set, team_quota_ensure
from tenants.models import Namespace, NamespaceMembership, NamespaceStatus, TeamMembership

pytestmark = pytest.mark.django_db


def _ns_membership(world, persona):
    return NamespaceMembership.objects.get(namespace=world.namespace, user=getattr(world, persona))


def _urls(world):
    developer = _ns_membership(world, "developer").pk
    return {
        "namespace_create": reverse("namespace_create", args=["acme"]),
        "namespace_detail": reverse("namespace_detail", args=["acme-dev"]),
        "namespace_delete": reverse("namespace_delete", args=["acme-dev"]),
        "namespace_member_add": reverse("namespace_member_add", args=["acme-dev"]),
        "namespace_member_role": reverse("namespace_member_role", args=["acme-dev", developer]),
        "namespace_member_remove": reverse("namespace_member_remove", args=["acme-dev", developer]),
    }


ALL_VIEWS = [
    "namespace_create",
    "namespace_detail",
    "namespace_delete",
    "namespace_member_add",
    "namespace_member_role",
    "namespace_member_remove",
]


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_anonymous_is_sent_to_login(client, world, name):
    response = client.get(_urls(world)[name])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_outsider_gets_404(client, world, name):
    client.force_login(world.outsider)
    url = _urls(world)[name]
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "role": "admin", "confirm_name": "acme-dev"}).status_code == 404


@pytest.mark.parametrize(
    ("persona", "name"),
    [
        ("member", "namespace_create"),
        ("ns_admin", "namespace_create"),
        ("ns_admin", "namespace_delete"),
        ("developer", "namespace_delete"),
        ("developer", "namespace_member_add"),
        ("viewer", "namespace_member_role"),
        ("developer", "namespace_member_remove"),
    ],
)
def test_members_lacking_the_role_get_403(client, world, persona, name):
    client.force_login(getattr(world, persona))
    url = _urls(world)[name]
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x", "role": "admin", "confirm_name": "acme-dev"}).status_code == 403


def test_team_member_without_a_namespace_role_does_not_see_it(client, world):
    client.force_login(world.member)
    assert client.get(_urls(world)["namespace_detail"]).status_code == 404


def test_namespace_create_by_manager_redirects_to_the_namespace(client, world):
    client.force_login(world.manager)
    response = client.post(
        _urls(world)["namespace_create"], {"name": "acme-staging", "display_name": "Staging"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/namespaces/acme-staging/"
    assert Namespace.objects.get(name="acme-staging").team == world.team


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Bad_Name", "DNS-1123"),
        ("-leading", "DNS-1123"),
        ("a" * 64, "at most 63 characters"),
        ("kube-mine", "reserved for the cluster"),
        ("acme-dev", "already exists"),
    ],
)
def test_namespace_create_shows_name_errors_on_the_field(client, world, name, error):
    client.force_login(world.owner)
    response = client.post(_urls(world)["namespace_create"], {"name": name})
    body = response.content.decode()
    assert response.status_code == 200
    assert error in body
    assert 'aria-invalid="true"' in body


def test_namespace_create_with_htmx_returns_only_the_form(client, world):
    client.force_login(world.owner)
    response = client.post(
        _urls(world)["namespace_create"],
        {"name": "Nope"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="namespace-form",
    )
    assert response.content.decode().lstrip().startswith('<form id="namespace-form"')


def test_namespace_overview_shows_status_badge_last_error_runtime_and_quota(client, world):
    Namespace.objects.filter(pk=world.namespace.pk).update(status=NamespaceStatus.ERROR)
    NamespaceProvisioning.objects.filter(pk=world.namespace.pk).update(last_error="quota apply failed")
    client.force_login(world.viewer)
    body = client.get(_urls(world)["namespace_detail"]).content.decode()
    assert 'class="badge badge-error"' in body
    assert "quota apply failed" in body
    assert "New pods run with" in body
    assert 'class="quota-bars"' in body
    assert 'href="/namespaces/acme-dev/usage/"' in body
    assert "Delete namespace" not in body


def test_namespace_overview_bars_read_the_quota_and_latest_window_loaded_with_the_namespace(
    client, world, django_assert_num_queries
):
    team_quota_ensure(team=world.team)
    namespace_quota_set(
        actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "1", "pods": 10})
    )
    window = datetime(2026, 1, 1, tzinfo=UTC)
    ClusterState.objects.create(cluster=default_cluster(), last_window_start=window)
    UsageSample.objects.create(
        namespace=world.namespace,
        metric=Metric.CPU_REQUEST,
        window_start=window,
        window_end=window + timedelta(minutes=1),
        quantity=0.9,
        source="t",
    )
    client.force_login(world.viewer)
    url = _urls(world)["namespace_detail"]
    # The 7 of a namespace without data (test_query_counts), and the window's samples.
    with django_assert_num_queries(8):
        body = client.get(url).content.decode()
    assert 'class="bar-near" data-resource="cpu"' in body
    assert 'class="bar-unknown" data-resource="pods"' in body  # allocated, not measured


def test_namespace_overview_picks_a_runtime_discovery_found_without_another_query(
    client, world, django_assert_num_queries
):
    NamespaceRuntimePolicy.objects.update_or_create(
        namespace=world.namespace, defaults={"min_isolation": "microvm"}
    )
    state = ClusterState.objects.create(cluster=default_cluster(), discovered_at=datetime.now(UTC))
    ClusterRuntime.objects.create(
        state=state, name="kata-clh", handler="kata-clh", seen_at=state.discovered_at
    )
    client.force_login(world.viewer)
    url = _urls(world)["namespace_detail"]
    # The 7 of test_query_counts: the catalog query says which entries discovery found.
    with django_assert_num_queries(7):
        body = client.get(url).content.decode()
    assert "New pods run with <strong>kata-clh</strong>" in body  # kata-fc is cheaper, not found
    ClusterRuntime.objects.all().delete()
    body = client.get(url).content.decode()
    assert "New pods run with" not in body and 'class="msg msg-error" role="alert"' in body


def test_namespace_pages_share_one_set_of_tabs(client, world):
    client.force_login(world.developer)
    tabs = (
        '<a href="/namespaces/acme-dev/">Overview</a>',
        '<a href="/namespaces/acme-dev/usage/">Usage</a>',
        '<a href="/namespaces/acme-dev/objects/">Kubernetes objects</a>',
        '<a href="/namespaces/acme-dev/access/">Access</a>',
    )
    for page, label in [
        ("", "Overview"),
        ("usage/", "Usage"),
        ("objects/", "Kubernetes objects"),
        ("access/", "Access"),
    ]:
        body = client.get(f"/namespaces/acme-dev/{page}").content.decode()
        current = f'<a href="/namespaces/acme-dev/{page}" aria-current="page">{label}</a>'
        assert current in body, page
        assert sum(tab in body for tab in tabs) == 3, page
        assert '<a href="/teams/acme/">Acme</a>' in body  # breadcrumb back to the team


def test_namespace_access_tab_lists_members_and_offers_a_kubeconfig(client, world):
    client.force_login(world.viewer)
    body = client.get(reverse("namespace_access", args=["acme-dev"])).content.decode()
    assert world.developer.email in body
    assert "Add a team member" not in body
    assert 'action="/access/kubeconfig/"' in body
    assert "--context acme-dev" in body


def test_namespace_overview_embeds_the_live_status_that_polls_only_while_provisioning(client, world):
    client.force_login(world.developer)
    url = _urls(world)["namespace_detail"]
    pending = client.get(url).content.decode()
    assert pending.count('hx-trigger="every') == 1
    assert 'hx-get="/namespaces/acme-dev/status/"' in pending
    Namespace.objects.filter(pk=world.namespace.pk).update(status=NamespaceStatus.READY)
    ready = client.get(url).content.decode()
    assert "hx-trigger" not in ready
    assert 'id="namespace-status"' in ready


def test_namespace_admin_adds_a_team_member(client, world):
    membership = TeamMembership.objects.get(team=world.team, user=world.member)
    client.force_login(world.ns_admin)
    response = client.post(_urls(world)["namespace_member_add"], {"member": membership.pk, "role": "viewer"})
    assert response.status_code == 302
    assert NamespaceMembership.objects.get(namespace=world.namespace, user=world.member).role == "viewer"


def test_adding_someone_already_in_the_namespace_is_a_field_error(client, world):
    membership = TeamMembership.objects.get(team=world.team, user=world.developer)
    client.force_login(world.ns_admin)
    response = client.post(_urls(world)["namespace_member_add"], {"member": membership.pk, "role": "viewer"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_namespace_admin_changes_a_role_without_javascript(client, world):
    client.force_login(world.ns_admin)
    url = _urls(world)["namespace_member_role"]
    assert client.get(url, {"role": "viewer"}).status_code == 200
    assert client.post(url, {"role": "viewer"}).status_code == 302
    assert _ns_membership(world, "developer").role == "viewer"


def test_namespace_role_change_with_htmx_returns_the_row(client, world):
    membership = _ns_membership(world, "developer")
    client.force_login(world.manager)
    response = client.post(_urls(world)["namespace_member_role"], {"role": "admin"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith(f'<tr id="ns-member-row-{membership.pk}"')
    assert _ns_membership(world, "developer").role == "admin"


def test_invalid_namespace_role_is_an_error_not_a_500(client, world):
    client.force_login(world.ns_admin)
    response = client.post(_urls(world)["namespace_member_role"], {"role": "root"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_namespace_member_remove_confirms_then_removes(client, world):
    client.force_login(world.ns_admin)
    url = _urls(world)["namespace_member_remove"]
    assert "Remove from namespace" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not NamespaceMembership.objects.filter(namespace=world.namespace, user=world.developer).exists()


def test_namespace_delete_needs_the_name_typed(client, world):
    client.force_login(world.manager)
    url = _urls(world)["namespace_delete"]
    assert "Type the name to confirm" in client.get(url).content.decode()
    response = client.post(url, {"confirm_name": "acme-prod"})
    assert response.status_code == 200
    assert "Type &#x27;acme-dev&#x27; exactly" in response.content.decode()
    assert Namespace.objects.get(pk=world.namespace.pk).status == NamespaceStatus.PENDING


def test_namespace_delete_marks_it_terminating(client, world):
    client.force_login(world.owner)
    response = client.post(_urls(world)["namespace_delete"], {"confirm_name": "acme-dev"})
    assert response.status_code == 302
    assert response["Location"] == "/teams/acme/"
    assert Namespace.objects.get(pk=world.namespace.pk).status == NamespaceStatus.TERMINATING
