"""Pages: access (kubeconfig, revoke), namespace status/objects/retry, and the staff cluster pages."""

import base64
import json

import kubernetes
import pytest
import yaml
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clusters.crypto import decrypt
from clusters.models import Cluster, NamespaceProvisioning, TeamPlacement
from tenants.models import AuditEvent, Namespace, NamespaceStatus
from tests.factories import NamespaceFactory, NamespaceMembershipFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(client, user):
    client.force_login(user)
    return client


def query_count(client, url) -> int:
    client.get(url)  # the first visit may create the default cluster row
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def set_status(namespace, status, **provisioning):
    Namespace.objects.filter(pk=namespace.pk).update(status=status)
    NamespaceProvisioning.objects.filter(pk=namespace.pk).update(**provisioning)


# --- Access -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/access/"),
        ("post", "/access/kubeconfig/"),
        ("get", "/access/revoke/"),
        ("post", "/access/revoke/"),
    ],
)
def test_access_pages_send_anonymous_visitors_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_access_page_lists_only_my_namespaces_with_a_kubectl_snippet(client, world):
    html = logged_in(client, world.developer).get("/access/").content.decode()
    assert "acme-dev" in html
    assert "globex-prod" not in html
    assert "kubectl --kubeconfig ~/Downloads/tenantry.kubeconfig get pods -n acme-dev" in html
    row = html.split("<code>acme-dev</code></a>")[1].split("</tr>")[0]
    assert "<td>Acme</td>" in row and '<span class="badge badge-pending">Pending</span>' in row
    assert 'action="/access/kubeconfig/"' in html
    assert 'href="/access/revoke/"' in html


def test_access_page_explains_how_to_get_a_namespace_when_there_is_none(client, world):
    html = logged_in(client, world.member).get("/access/").content.decode()
    assert "No namespaces yet" in html
    assert "Download kubeconfig" not in html


def test_kubeconfig_form_is_shown_on_get(client, world):
    html = logged_in(client, world.developer).get("/access/kubeconfig/").content.decode()
    assert 'name="hours"' in html
    assert 'value="8"' in html


def test_downloaded_kubeconfig_works_with_the_official_client(client, provisioned):
    response = logged_in(client, provisioned.developer).post("/access/kubeconfig/", {"hours": "2"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml"
    assert response["Content-Disposition"] == 'attachment; filename="tenantry.kubeconfig"'
    config = yaml.safe_load(response.content)
    assert [c["name"] for c in config["contexts"]] == ["acme-dev"]
    with kubernetes.config.new_client_from_config_dict(config) as api:
        pods = kubernetes.client.CoreV1Api(api).list_namespaced_pod("acme-dev")
    assert pods.items == []
    assert AuditEvent.objects.get(action="kubeconfig.downloaded").data["hours"] == 2


def test_too_long_a_lifetime_is_a_form_error(client, world, cluster, settings):
    settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS = 12
    response = logged_in(client, world.developer).post("/access/kubeconfig/", {"hours": "13"})
    assert response.status_code == 200
    assert "At most 12 hours: the limit set by the console." in response.content.decode()
    assert not AuditEvent.objects.filter(action="kubeconfig.downloaded").exists()


def test_cluster_failure_shows_a_message_instead_of_an_error_page(client, world, cluster):
    cluster.fail_next(10, 503, message="etcd is sad")
    response = logged_in(client, world.developer).post("/access/kubeconfig/", {"hours": "1"})
    assert response.status_code == 503
    html = response.content.decode()
    assert "Cluster &#x27;default&#x27; could not issue credentials" in html
    assert "etcd is sad" in html


def test_revoke_asks_for_confirmation_then_invalidates_tokens(client, provisioned):
    client = logged_in(client, provisioned.developer)
    assert "Revoke all my tokens?" in client.get("/access/revoke/").content.decode()
    config = yaml.safe_load(client.post("/access/kubeconfig/", {"hours": "1"}).content)
    response = client.post("/access/revoke/", follow=True)
    assert response.redirect_chain == [("/access/", 302)]
    assert "has been revoked" in response.content.decode()
    with (
        kubernetes.config.new_client_from_config_dict(config) as api,
        pytest.raises(kubernetes.client.ApiException) as excinfo,
    ):
        kubernetes.client.CoreV1Api(api).list_namespaced_pod("acme-dev")
    assert excinfo.value.status == 401
    assert AuditEvent.objects.filter(action="kubeconfig.tokens_revoked", actor=provisioned.developer).exists()


def test_revoke_reports_unreachable_clusters(client, world, cluster):
    Cluster.objects.create(name="zz-broken", kubeconfig_path="/nonexistent/kubeconfig")
    response = logged_in(client, world.developer).post("/access/revoke/", follow=True)
    assert "could not be revoked on some clusters (zz-broken" in response.content.decode()


def test_access_page_query_count_does_not_grow_with_namespaces(client, world, django_assert_num_queries):
    client = logged_in(client, world.developer)
    small = query_count(client, "/access/")
    for _ in range(5):
        NamespaceMembershipFactory(namespace=NamespaceFactory(team=world.team), user=world.developer)
    with django_assert_num_queries(small):
        client.get("/access/")


def test_access_page_shows_its_clusters_limit_and_unreachable_notice_without_more_queries(
    client, world, django_assert_num_queries
):
    client = logged_in(client, world.developer)
    Cluster.objects.filter(is_default=True).update(max_token_hours=3, reachable=False)
    # session, user, the user's roles (which the namespaces are chosen by), the clusters with
    # their namespaces counted, the page of namespaces, and the finance group lookup for the
    # navigation
    with django_assert_num_queries(6):
        html = client.get("/access/").content.decode()
    assert "Cluster default did not answer the last check" in html
    assert 'value="3"' in html  # the lifetime offered: the cluster's maximum


def test_access_page_shows_the_namespaces_a_page_at_a_time_by_cluster(client, world, settings):
    """Every namespace is reachable through the pages, grouped under its cluster; the snippet
    names the first by name whatever page is shown."""
    settings.TENANTRY_PAGE_SIZE = 2
    other = Cluster.objects.create(name="aaa-second", kubeconfig_path="/nonexistent/kubeconfig")
    for name, cluster in (("zz-last", None), ("acme-other", other)):
        namespace = NamespaceFactory(team=world.team, name=name, **({"cluster": cluster} if cluster else {}))
        NamespaceMembershipFactory(namespace=namespace, user=world.developer)
    client = logged_in(client, world.developer)
    pages = [client.get("/access/", {"namespaces_page": n}).content.decode() for n in (1, 2)]
    assert "3 namespaces, one context each" in pages[0]
    assert "Cluster aaa-second" in pages[0] and "<code>acme-other</code></a>" in pages[0]
    assert "?namespaces_page=2" in pages[0] and 'rel="prev"' in pages[1]
    seen = [
        name
        for page in pages
        for name in ("acme-dev", "acme-other", "zz-last")
        if f"<code>{name}</code></a>" in page
    ]
    assert sorted(seen) == ["acme-dev", "acme-other", "zz-last"]
    assert all("get pods -n acme-dev</code>" in page for page in pages)


# --- Namespace status, retry and objects ----------------------------------------------------
@pytest.mark.parametrize("suffix", ["status", "objects"])
def test_namespace_pages_hide_other_tenants(client, world, suffix):
    assert logged_in(client, world.outsider).get(f"/namespaces/acme-dev/{suffix}/").status_code == 404
    assert logged_in(client, world.member).get(f"/namespaces/acme-dev/{suffix}/").status_code == 404


@pytest.mark.parametrize("suffix", ["status", "objects"])
def test_namespace_pages_need_a_login(client, world, suffix):
    assert client.get(f"/namespaces/acme-dev/{suffix}/").status_code == 302


def test_status_page_polls_while_provisioning(client, world):
    html = logged_in(client, world.viewer).get("/namespaces/acme-dev/status/").content.decode()
    assert 'id="namespace-status"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'hx-get="/namespaces/acme-dev/status/"' in html
    assert 'href="/namespaces/acme-dev/status/"' in html
    assert "Pending" in html


def test_status_fragment_keeps_polling_until_final_then_stops(client, world):
    client = logged_in(client, world.viewer)
    polling = client.get("/namespaces/acme-dev/status/", **HTMX)
    assert polling.status_code == 200
    assert "<html" not in polling.content.decode()
    assert 'hx-trigger="every 2s"' in polling.content.decode()
    set_status(world.namespace, NamespaceStatus.READY)
    final = client.get("/namespaces/acme-dev/status/", **HTMX)
    assert final.status_code == 286
    assert "hx-trigger" not in final.content.decode()
    assert "Ready" in final.content.decode()


def test_error_status_shows_error_and_retry_only_to_namespace_admins(client, world):
    set_status(
        world.namespace,
        NamespaceStatus.ERROR,
        last_error="admission webhook said no",
        conditions=[{"type": "ObjectsApplied", "status": "False", "reason": "Forbidden", "message": "no"}],
    )
    admin_html = logged_in(client, world.ns_admin).get("/namespaces/acme-dev/status/").content.decode()
    assert "admission webhook said no" in admin_html
    assert "ObjectsApplied" in admin_html
    assert 'action="/namespaces/acme-dev/retry/"' in admin_html
    assert "hx-trigger" not in admin_html
    developer_html = logged_in(client, world.developer).get("/namespaces/acme-dev/status/").content.decode()
    assert "admission webhook said no" in developer_html
    assert "/retry/" not in developer_html


def test_retry_access(client, world):
    set_status(world.namespace, NamespaceStatus.ERROR, last_error="boom")
    assert client.post("/namespaces/acme-dev/retry/").status_code == 302
    assert logged_in(client, world.outsider).post("/namespaces/acme-dev/retry/").status_code == 404
    assert logged_in(client, world.developer).post("/namespaces/acme-dev/retry/").status_code == 403
    assert logged_in(client, world.viewer).post("/namespaces/acme-dev/retry/").status_code == 403
    assert Namespace.objects.get(pk=world.namespace.pk).status == NamespaceStatus.ERROR


@pytest.mark.parametrize("persona", ["ns_admin", "manager", "owner"])
def test_namespace_admins_retry_a_failed_namespace(
    client, world, persona, django_capture_on_commit_callbacks
):
    set_status(world.namespace, NamespaceStatus.ERROR, last_error="boom")
    with django_capture_on_commit_callbacks() as callbacks:
        response = logged_in(client, getattr(world, persona)).post("/namespaces/acme-dev/retry/")
    assert response.status_code == 302
    assert response["Location"] == "/namespaces/acme-dev/status/"
    namespace = Namespace.objects.get(pk=world.namespace.pk)
    assert (namespace.status, namespace.provisioning.last_error) == (NamespaceStatus.PENDING, "")
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="namespace.provisioning_retried").count() == 1


def test_retry_over_htmx_returns_the_polling_fragment(client, world):
    set_status(world.namespace, NamespaceStatus.ERROR, last_error="boom")
    response = logged_in(client, world.ns_admin).post("/namespaces/acme-dev/retry/", **HTMX)
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.content.decode()


def test_objects_page_shows_the_desired_manifests_as_yaml(client, world):
    html = logged_in(client, world.viewer).get("/namespaces/acme-dev/objects/").content.decode()
    assert "kind: ResourceQuota" in html
    assert "kind: NetworkPolicy" in html
    assert "---\n" in html
    assert "pod-security.kubernetes.io/enforce: restricted" in html
    # Objects share label dicts; each is written out instead of as an anchor and alias.
    assert "id001" not in html


def test_status_partial_is_includable_with_a_namespace(rf, world):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = world.owner
    html = render_to_string(
        "clusters/_namespace_status.html", {"namespace": world.namespace}, request=request
    )
    assert 'id="namespace-status"' in html


# --- Staff: clusters --------------------------------------------------------------------------
STAFF_GETS = ["/clusters/", "/clusters/new/", "/clusters/failed-namespaces/"]


@pytest.mark.parametrize("url", STAFF_GETS)
def test_staff_pages_are_hidden_from_everyone_else(client, world, url):
    assert client.get(url).status_code == 302
    for persona in (world.owner, world.outsider, world.finance):
        assert logged_in(client, persona).get(url).status_code == 404


def test_staff_actions_on_a_cluster_are_hidden_from_everyone_else(client, world):
    other = Cluster.objects.create(name="other")
    logged_in(client, world.owner)
    assert client.get(f"/clusters/{other.pk}/edit/").status_code == 404
    assert client.post(f"/clusters/{other.pk}/check/").status_code == 404
    assert client.post(f"/clusters/{other.pk}/delete/").status_code == 404
    assert client.post(f"/clusters/failed-namespaces/{world.namespace.pk}/retry/").status_code == 404
    assert Cluster.objects.filter(pk=other.pk).exists()


def test_cluster_list_shows_the_default_cluster_from_environment(client, world):
    html = logged_in(client, world.admin).get("/clusters/").content.decode()
    assert "default" in html
    assert "from environment" in html
    assert "not checked" in html


def test_cluster_list_counts_each_clusters_live_namespaces(world):
    from clusters.selectors import clusters_with_usage

    empty = Cluster.objects.create(name="empty", kubeconfig_path="/etc/k")
    busy = Cluster.objects.create(name="busy", kubeconfig_path="/etc/k")
    for status in (NamespaceStatus.READY, NamespaceStatus.ERROR, NamespaceStatus.DELETED):
        NamespaceFactory(team=world.team, cluster=busy, status=status)
    counts = {cluster.name: cluster.live_namespaces for cluster in clusters_with_usage()}
    assert counts["empty"] == 0 and counts["busy"] == 2
    assert [c.live_namespaces for c in clusters_with_usage(pk=empty.pk)] == [0]


def test_cluster_list_query_count_is_flat(client, world, django_assert_num_queries):
    client = logged_in(client, world.admin)
    small = query_count(client, "/clusters/")
    for n in range(5):
        cluster = Cluster.objects.create(name=f"c{n}", kubeconfig_path="/etc/k")
        NamespaceFactory(team=world.team, cluster=cluster)
    with django_assert_num_queries(small):
        client.get("/clusters/")


KUBECONFIG_TEXT = yaml.safe_dump(
    {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://k8s.example.com"}}],
        "users": [{"name": "u", "user": {"token": "very-secret-token"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
)


def test_pasted_kubeconfig_is_stored_encrypted_and_never_shown_back(client, world):
    client = logged_in(client, world.admin)
    response = client.post("/clusters/new/", {"name": "prod", "kubeconfig_content": KUBECONFIG_TEXT})
    assert response.status_code == 302
    cluster = Cluster.objects.get(name="prod")
    assert "very-secret-token" not in cluster.kubeconfig_encrypted
    assert decrypt(cluster.kubeconfig_encrypted) == KUBECONFIG_TEXT.strip()
    edit = client.get(f"/clusters/{cluster.pk}/edit/").content.decode()
    assert "very-secret-token" not in edit
    assert "stored" in edit
    assert "stored kubeconfig" in client.get("/clusters/").content.decode()
    assert "very-secret-token" not in str(AuditEvent.objects.get(action="cluster.created").data)


def test_editing_without_new_content_keeps_the_stored_kubeconfig_and_replacing_works(client, world):
    client = logged_in(client, world.admin)
    client.post("/clusters/new/", {"name": "prod", "kubeconfig_content": KUBECONFIG_TEXT})
    cluster = Cluster.objects.get(name="prod")
    stored = cluster.kubeconfig_encrypted
    client.post(f"/clusters/{cluster.pk}/edit/", {"name": "prod", "api_url": "https://public.example.com"})
    cluster.refresh_from_db()
    assert (cluster.kubeconfig_encrypted, cluster.api_url) == (stored, "https://public.example.com")
    replacement = KUBECONFIG_TEXT.replace("very-secret-token", "another-token")
    client.post(f"/clusters/{cluster.pk}/edit/", {"name": "prod", "kubeconfig_content": replacement})
    cluster.refresh_from_db()
    assert "another-token" in decrypt(cluster.kubeconfig_encrypted)
    client.post(f"/clusters/{cluster.pk}/edit/", {"name": "prod", "clear_stored_kubeconfig": "on"})
    cluster.refresh_from_db()
    assert cluster.kubeconfig_encrypted == ""


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"kubeconfig_path": "/etc/k", "kubeconfig_content": KUBECONFIG_TEXT}, "not both"),
        ({"kubeconfig_content": "clusters: [unclosed"}, "not valid YAML"),
        ({"kubeconfig_content": KUBECONFIG_TEXT, "context": "nope"}, "no context"),
        ({"api_url": "not a url"}, "Enter a valid URL"),
    ],
)
def test_invalid_cluster_forms_explain_the_problem(client, world, data, field_error):
    response = logged_in(client, world.admin).post("/clusters/new/", {"name": "prod", **data})
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert not Cluster.objects.filter(name="prod").exists()


def test_check_connectivity_records_version_or_error(client, world, cluster):
    client = logged_in(client, world.admin)
    client.get("/clusters/")
    default = Cluster.objects.get(is_default=True)
    assert client.post(f"/clusters/{default.pk}/check/").status_code == 302
    default.refresh_from_db()
    assert (default.reachable, default.server_version, default.last_error) == (True, "v1.33.0", "")
    assert default.last_checked_at is not None

    broken = Cluster.objects.create(name="broken", kubeconfig_path="/nonexistent/kubeconfig")
    response = client.post(f"/clusters/{broken.pk}/check/", **HTMX)
    assert response.status_code == 200
    assert f'id="cluster-{broken.pk}"' in response.content.decode()
    assert "unreachable" in response.content.decode()
    broken.refresh_from_db()
    assert broken.reachable is False
    assert "cannot be loaded" in broken.last_error


def test_unreachable_cluster_is_reported_not_raised(client, world, cluster):
    client = logged_in(client, world.admin)
    client.get("/clusters/")
    default = Cluster.objects.get(is_default=True)
    cluster.fail_next(5, 503, message="apiserver overloaded")
    response = client.post(f"/clusters/{default.pk}/check/", follow=True)
    assert "apiserver overloaded" in response.content.decode()
    default.refresh_from_db()
    assert default.reachable is False


def test_cluster_in_use_cannot_be_deleted_but_an_unused_one_can(client, world):
    client = logged_in(client, world.admin)
    used = Cluster.objects.create(name="used")
    NamespaceFactory(team=world.team, cluster=used)
    unused = Cluster.objects.create(name="unused")
    response = client.post(f"/clusters/{used.pk}/delete/")
    assert response.status_code == 200
    assert "live namespace(s) still use" in response.content.decode()
    assert "Remove cluster unused?" in client.get(f"/clusters/{unused.pk}/delete/").content.decode()
    assert client.post(f"/clusters/{unused.pk}/delete/").status_code == 302
    assert list(Cluster.objects.filter(name__in=["used", "unused"]).values_list("name", flat=True)) == [
        "used"
    ]
    assert AuditEvent.objects.filter(action="cluster.deleted").count() == 1


def test_default_cluster_cannot_be_deleted(client, world):
    client = logged_in(client, world.admin)
    client.get("/clusters/")
    default = Cluster.objects.get(is_default=True)
    assert "cannot be removed" in client.post(f"/clusters/{default.pk}/delete/").content.decode()


def test_cluster_with_deleted_namespaces_keeps_its_record(client, world):
    old = Cluster.objects.create(name="old")
    NamespaceFactory(team=world.team, cluster=old, status=NamespaceStatus.DELETED)
    response = logged_in(client, world.admin).post(f"/clusters/{old.pk}/delete/")
    assert "keep their usage history" in response.content.decode()
    assert Cluster.objects.filter(pk=old.pk).exists()
    assert not AuditEvent.objects.filter(action="cluster.deleted").exists()


def test_making_another_cluster_default_keeps_existing_namespaces_where_they_are(client, world):
    client = logged_in(client, world.admin)
    client.get("/clusters/")
    old_default = Cluster.objects.get(is_default=True)
    response = client.post("/clusters/new/", {"name": "new", "kubeconfig_path": "/etc/k", "is_default": "on"})
    assert response.status_code == 302
    new = Cluster.objects.get(name="new")
    assert Cluster.objects.get(is_default=True) == new
    world.namespace.refresh_from_db()
    assert world.namespace.cluster == old_default
    response = client.post(f"/clusters/{new.pk}/edit/", {"name": "new", "kubeconfig_path": "/etc/k"})
    assert "Make another cluster the default instead." in response.content.decode()


# --- Staff: namespaces in error ---------------------------------------------------------------
def test_failed_namespaces_across_teams_are_listed_and_paginated(client, world, settings):
    settings.TENANTRY_PAGE_SIZE = 2
    set_status(world.namespace, NamespaceStatus.ERROR, last_error="quota invalid")
    set_status(world.other_namespace, NamespaceStatus.ERROR, last_error="forbidden")
    NamespaceFactory(team=world.team, name="zz-error", status=NamespaceStatus.ERROR)
    NamespaceFactory(team=world.team, name="fine", status=NamespaceStatus.READY)
    client = logged_in(client, world.admin)
    first = client.get("/clusters/failed-namespaces/").content.decode()
    assert "acme-dev" in first and "globex-prod" in first and "quota invalid" in first
    assert "fine" not in first
    assert "Page 1 of 2" in first
    second = client.get(
        "/clusters/failed-namespaces/?page=2", **HTMX, HTTP_HX_TARGET="namespace-errors"
    ).content.decode()
    assert "zz-error" in second
    assert "<html" not in second
    assert 'id="namespace-errors"' in second


def test_failed_namespace_list_query_count_is_flat(client, world, django_assert_num_queries):
    set_status(world.namespace, NamespaceStatus.ERROR)
    client = logged_in(client, world.admin)
    small = query_count(client, "/clusters/failed-namespaces/")
    for _ in range(5):
        NamespaceFactory(status=NamespaceStatus.ERROR)
    with django_assert_num_queries(small):
        client.get("/clusters/failed-namespaces/")


def test_staff_retry_puts_a_failed_namespace_back_in_the_queue(client, world):
    set_status(world.other_namespace, NamespaceStatus.ERROR, last_error="boom")
    response = logged_in(client, world.admin).post(
        f"/clusters/failed-namespaces/{world.other_namespace.pk}/retry/"
    )
    assert response.status_code == 302
    world.other_namespace.refresh_from_db()
    assert world.other_namespace.status == NamespaceStatus.PENDING
    assert AuditEvent.objects.get(action="namespace.provisioning_retried").team == world.other_team


def test_polling_a_deleted_namespace_stops_instead_of_erroring(client, world):
    client = logged_in(client, world.viewer)
    set_status(world.namespace, NamespaceStatus.DELETED)
    response = client.get("/namespaces/acme-dev/status/", **HTMX)
    assert response.status_code == 286
    assert "no longer exists" in response.content.decode()
    assert client.get("/namespaces/acme-dev/status/").status_code == 404


def test_posting_an_empty_kubeconfig_form_shows_the_error(client, world, cluster):
    response = logged_in(client, world.developer).post("/access/kubeconfig/", {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


# --- Staff: maximum token lifetime per cluster ---------------------------------------------------
def token_lifetime_seconds(kubeconfig_text: str) -> int:
    """``exp - iat`` of the (emulator's JWT) token in a one-cluster kubeconfig."""
    token = yaml.safe_load(kubeconfig_text)["users"][0]["user"]["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims["exp"] - claims["iat"]


def set_token_limit(client, cluster: Cluster, hours) -> HttpResponse:
    data = {"name": cluster.name, "max_token_hours": hours}
    if cluster.is_default:
        data["is_default"] = "on"
    return client.post(f"/clusters/{cluster.pk}/edit/", data)


def test_staff_lower_a_clusters_token_limit_and_longer_kubeconfigs_are_refused(client, provisioned):
    staff = logged_in(Client(), provisioned.admin)
    staff.get("/clusters/")
    default = Cluster.objects.get(is_default=True)
    assert set_token_limit(staff, default, "4").status_code == 302
    default.refresh_from_db()
    assert default.max_token_hours == 4
    event = AuditEvent.objects.get(action="cluster.updated")
    assert event.data["max_token_hours"] == {"from": None, "to": 4}

    user = logged_in(client, provisioned.developer)
    page = user.get("/access/").content.decode()
    assert "At most 4 hours (the limit set by cluster &#x27;default&#x27;)" in page
    assert 'value="4"' in page  # the default lifetime (8) is cut down to the limit
    response = user.post("/access/kubeconfig/", {"hours": "5"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_hours_error"' in html
    assert "At most 4 hours: the limit set by cluster &#x27;default&#x27;." in html
    assert not AuditEvent.objects.filter(action="kubeconfig.downloaded").exists()

    response = user.post("/access/kubeconfig/", {"hours": "4"})
    assert response["Content-Type"] == "application/yaml"
    assert token_lifetime_seconds(response.content.decode()) == 4 * 3600


def test_raising_the_limit_back_and_clearing_it_are_audited_with_from_and_to(client, world):
    client = logged_in(client, world.admin)
    cluster = Cluster.objects.create(name="edge", kubeconfig_path="/etc/k", max_token_hours=2)
    set_token_limit(client, cluster, "12")
    set_token_limit(client, cluster, "")
    cluster.refresh_from_db()
    assert cluster.max_token_hours is None
    changes = [
        e.data["max_token_hours"] for e in AuditEvent.objects.filter(action="cluster.updated").order_by("pk")
    ]
    assert changes == [{"from": 2, "to": 12}, {"from": 12, "to": None}]


@pytest.mark.parametrize("hours", ["0", "721", "-3", "many"])
def test_token_limit_out_of_range_is_a_field_error(client, world, hours):
    client = logged_in(client, world.admin)
    cluster = Cluster.objects.create(name="edge", kubeconfig_path="/etc/k")
    response = set_token_limit(client, cluster, hours)
    assert response.status_code == 200
    assert 'id="id_max_token_hours_error"' in response.content.decode()
    cluster.refresh_from_db()
    assert cluster.max_token_hours is None
    assert not AuditEvent.objects.filter(action="cluster.updated").exists()


def test_new_cluster_can_start_with_a_token_limit(client, world):
    client = logged_in(client, world.admin)
    response = client.post(
        "/clusters/new/", {"name": "edge", "kubeconfig_path": "/etc/k", "max_token_hours": "6"}
    )
    assert response.status_code == 302
    assert Cluster.objects.get(name="edge").max_token_hours == 6
    assert AuditEvent.objects.get(action="cluster.created").data["max_token_hours"] == 6


def test_cluster_list_shows_each_token_limit(client, world, settings):
    settings.TENANTRY_KUBECONFIG_MAX_TTL_HOURS = 24
    Cluster.objects.create(name="edge", kubeconfig_path="/etc/k", max_token_hours=6)
    Cluster.objects.create(name="lab", kubeconfig_path="/etc/k", max_token_hours=48)
    html = logged_in(client, world.admin).get("/clusters/").content.decode()
    assert '<td class="token-limit">6 h</td>' in html
    assert '48 h <span class="muted">(console caps at 24 h)</span>' in html
    assert "console's, 24 h" in html  # the default cluster has no limit of its own


@pytest.mark.parametrize("persona", ["owner", "manager", "outsider", "finance"])
def test_only_staff_change_a_token_limit(client, world, persona):
    cluster = Cluster.objects.create(name="edge", kubeconfig_path="/etc/k")
    response = set_token_limit(logged_in(client, getattr(world, persona)), cluster, "1")
    assert response.status_code == 404
    cluster.refresh_from_db()
    assert cluster.max_token_hours is None
    assert not AuditEvent.objects.filter(action="cluster.updated").exists()


@pytest.mark.parametrize("pk", ["9" * 30, str(2**63), str(-(2**63) - 1)])
def test_a_placement_naming_a_cluster_id_past_any_integer_is_a_field_error(client, world, pk):
    """Django looked such ids up with ``pk__in``: an OverflowError (a 500) on SQLite."""
    client.force_login(world.admin)
    default = Cluster.objects.get(is_default=True)
    response = client.post(f"/clusters/teams/{world.team.slug}/placement/", {"clusters": [default.pk, pk]})
    assert response.status_code == 200
    assert "clusters" in response.context["form"].errors
    assert not TeamPlacement.objects.filter(team=world.team).exists()
