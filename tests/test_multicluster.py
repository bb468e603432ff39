"""Two clusters (two emulators, A and B) driven the way staff and the workers drive them.

Every staff action on a cluster (add, edit, make default, check, re-check, disable) is
followed by a metering cycle (discovery and collection) and a visit to the staff pages: none
may fail, and both clusters keep being measured.
"""

import os
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError

from clusters.models import Cluster
from clusters.services import team_placement_set
from metering.models import ClusterState, Metric, UsageSample
from metering.services.collector import usage_collect
from metering.services.discovery import clusters_discover
from namespaces.services import namespace_create
from tenants.models import Namespace
from tests.api import client_for

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 27, 10, 0, 30, tzinfo=UTC)
STAFF_PAGES = ("/clusters/", "/staff/capacity/", "/staff/runtimes/")


@pytest.fixture
def two_clusters(cluster, second_kube_emulator, tmp_path):
    """A is the default cluster (the environment's kubeconfig); B's kubeconfig is a file staff
    point the console at. Each has one node so capacity has something to show."""
    cluster.add_node("a-node", {"cpu": "8", "memory": "32Gi", "pods": "110"})
    second_kube_emulator.add_node("b-node", {"cpu": "16", "memory": "64Gi", "pods": "110"})
    path = second_kube_emulator.write_kubeconfig(tmp_path / "b.kubeconfig")
    return cluster, second_kube_emulator, str(path)


class Cycles:
    """Metering cycles one window apart, each checked for the namespaces it must measure."""

    def __init__(self) -> None:
        self.now = START

    def run(self) -> datetime:
        self.now += timedelta(seconds=60)
        clusters_discover(now=self.now)
        usage_collect(now=self.now)
        return self.now


def measured_cpu(namespace, *, since: datetime) -> list[UsageSample]:
    return list(
        UsageSample.objects.filter(namespace=namespace, metric=Metric.CPU_USAGE, window_end__gt=since)
    )


def assert_staff_pages_answer(client) -> None:
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 200, url


def assert_one_state_row_per_cluster() -> None:
    assert sorted(ClusterState.objects.values_list("cluster__name", flat=True)) == sorted(
        Cluster.objects.values_list("name", flat=True)
    )


def test_every_staff_cluster_action_is_followed_by_a_working_metering_cycle(
    client, world, two_clusters, django_capture_on_commit_callbacks
):
    a, b, b_kubeconfig = two_clusters
    client.force_login(world.admin)
    cycles = Cycles()
    with django_capture_on_commit_callbacks(execute=True):
        on_a = namespace_create(actor=world.owner, team=world.team, name="acme-on-a")
    a.set_pod_metrics("acme-on-a", "web", {"app": {"cpu": "250m", "memory": "64Mi"}})

    def cycle_and_pages():
        before = cycles.now
        cycles.run()
        assert_staff_pages_answer(client)
        assert_one_state_row_per_cluster()
        [sample] = measured_cpu(on_a, since=before)
        assert not sample.is_gap and sample.quantity > 0

    cycle_and_pages()

    # Add B.
    response = client.post("/clusters/new/", {"name": "cluster-b", "kubeconfig_path": b_kubeconfig})
    assert response.status_code == 302
    cluster_b = Cluster.objects.get(name="cluster-b")
    cycle_and_pages()
    assert ClusterState.objects.get(cluster=cluster_b).node_count == 1

    # Edit B.
    response = client.post(
        f"/clusters/{cluster_b.pk}/edit/",
        {"name": "cluster-b", "kubeconfig_path": b_kubeconfig, "max_token_hours": "4"},
    )
    assert response.status_code == 302
    cycle_and_pages()

    # Make B the default: this used to crash every metering run and both staff pages.
    response = client.post(
        f"/clusters/{cluster_b.pk}/edit/",
        {"name": "cluster-b", "kubeconfig_path": b_kubeconfig, "is_default": "on"},
    )
    assert response.status_code == 302
    cycle_and_pages()
    on_a.refresh_from_db()
    assert on_a.cluster.name == "default"  # pinned where it was created
    with django_capture_on_commit_callbacks(execute=True):
        on_b = namespace_create(actor=world.owner, team=world.team, name="acme-on-b")
    assert on_b.cluster == cluster_b
    assert b.get_object("v1", "Namespace", "acme-on-b") is not None
    assert a.get_object("v1", "Namespace", "acme-on-b") is None
    b.set_pod_metrics("acme-on-b", "web", {"app": {"cpu": "500m", "memory": "64Mi"}})
    before = cycles.now
    cycle_and_pages()
    [sample_b] = measured_cpu(on_b, since=before)
    assert sample_b.quantity == Decimal("0.5")  # cores, measured on B (A has no such pod)

    # Check B.
    assert client.post(f"/clusters/{cluster_b.pk}/check/").status_code == 302
    cluster_b.refresh_from_db()
    assert cluster_b.reachable is True
    cycle_and_pages()

    capacity = client.get("/staff/capacity/").content.decode()
    assert "cluster-b" in capacity and "default" in capacity

    # Re-check B's bootstrap objects: all in place, nothing written, collection goes on.
    b.reset_counters()
    assert client.post(f"/clusters/{cluster_b.pk}/recheck/").status_code == 302
    assert b.counts()["writes"] == 0
    cycle_and_pages()

    # Disable B: it takes no new namespaces; what is on it stays measured.
    response = client.post(
        f"/clusters/{Cluster.objects.get(name='default').pk}/edit/",
        {"name": "default", "is_default": "on"},
    )
    assert response.status_code == 302
    assert client.post(f"/clusters/{cluster_b.pk}/disable/").status_code == 302
    cluster_b.refresh_from_db()
    assert not cluster_b.enabled
    before = cycles.now
    cycle_and_pages()
    [sample_b] = measured_cpu(on_b, since=before)
    assert not sample_b.is_gap
    with pytest.raises(ValidationError) as refused:
        namespace_create(actor=world.owner, team=world.team, name="acme-late", cluster=cluster_b)
    assert "cluster" in refused.value.message_dict
    assert client.post(f"/clusters/{Cluster.objects.get(name='default').pk}/disable/").status_code == 302
    assert Cluster.objects.get(name="default").enabled  # the default cluster cannot be disabled


def add_cluster_b(b_kubeconfig: str, **fields) -> Cluster:
    from clusters.connections import default_cluster
    from clusters.services import cluster_create

    default_cluster()
    return cluster_create(actor=None, name="cluster-b", kubeconfig_path=b_kubeconfig, **fields)


def test_public_teams_go_to_the_cluster_offered_to_their_trust_level(
    client, world, two_clusters, django_capture_on_commit_callbacks
):
    a, b, b_kubeconfig = two_clusters
    sandbox = add_cluster_b(b_kubeconfig, placement_trust_levels=["public"])
    public = world.other_team  # Globex is public
    with django_capture_on_commit_callbacks(execute=True):
        on_public = namespace_create(actor=world.outsider, team=public, name="globex-web")
        on_trusted = namespace_create(actor=world.owner, team=world.team, name="acme-web")
    assert on_public.cluster == sandbox
    assert on_trusted.cluster.is_default
    assert b.get_object("v1", "Namespace", "globex-web") is not None
    assert a.get_object("v1", "Namespace", "acme-web") is not None
    # The public team may not put a namespace on the trusted teams' cluster, page or API.
    with pytest.raises(ValidationError):
        namespace_create(actor=world.outsider, team=public, name="globex-x", cluster=on_trusted.cluster)
    api = client_for(world.outsider)
    response = api.post("/api/v1/namespaces/", {"team": "globex", "name": "globex-y", "cluster": "default"})
    assert response.status_code == 400
    assert "cluster" in response.json()
    response = api.post("/api/v1/namespaces/", {"team": "globex", "name": "globex-z", "cluster": "nowhere"})
    assert response.status_code == 400 and "cluster" in response.json()
    response = api.post("/api/v1/namespaces/", {"team": "globex", "name": "globex-z", "cluster": "cluster-b"})
    assert response.status_code == 201
    assert response.json()["cluster"] == "cluster-b"


def test_staff_placement_offers_a_choice_and_the_namespace_page_shows_the_cluster(
    client, world, two_clusters, django_capture_on_commit_callbacks
):
    _a, _b, b_kubeconfig = two_clusters
    cluster_b = add_cluster_b(b_kubeconfig)
    default = Cluster.objects.get(is_default=True)
    client.force_login(world.admin)
    response = client.post(
        f"/clusters/teams/{world.team.slug}/placement/",
        {"clusters": [default.pk, cluster_b.pk], "default": cluster_b.pk},
    )
    assert response.status_code == 302
    client.force_login(world.owner)
    form = client.get(f"/teams/{world.team.slug}/namespaces/new/").content.decode()
    assert 'name="cluster"' in form and "cluster-b" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/teams/{world.team.slug}/namespaces/new/", {"name": "acme-there", "cluster": "default"}
        )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/teams/{world.team.slug}/namespaces/new/", {"name": "acme-here"})
    assert Namespace.objects.get(name="acme-there").cluster == default
    assert Namespace.objects.get(name="acme-here").cluster == cluster_b  # the team's default
    page = client.get("/namespaces/acme-here/").content.decode()
    assert "cluster-b" in page and "fixed for the namespace" in page


def test_the_name_is_checked_on_the_chosen_cluster(client, world, two_clusters):
    _a, _b, b_kubeconfig = two_clusters
    cluster_b = add_cluster_b(b_kubeconfig, placement_trust_levels=["trusted"])
    from clusters.connections import gateway_for_cluster

    gateway_for_cluster(cluster_b).apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "legacy-b"}}
    )
    with pytest.raises(ValidationError) as taken:
        namespace_create(actor=world.owner, team=world.team, name="legacy-b", cluster=cluster_b)
    assert "taken on the cluster" in str(taken.value)
    default = Cluster.objects.get(is_default=True)
    team_placement_set(actor=world.admin, team=world.team, clusters=[default, cluster_b], default=None)
    assert (
        namespace_create(actor=world.owner, team=world.team, name="legacy-b", cluster=default).cluster
        == default
    )


@pytest.fixture
def acme_on_both(world, two_clusters, django_capture_on_commit_callbacks):
    """Acme may use both clusters (A its default) and has acme-a on A and acme-b on B."""
    a, b, b_kubeconfig = two_clusters
    cluster_b = add_cluster_b(b_kubeconfig)
    default = Cluster.objects.get(is_default=True)
    team_placement_set(actor=world.admin, team=world.team, clusters=[default, cluster_b], default=default)
    with django_capture_on_commit_callbacks(execute=True):
        on_a = namespace_create(actor=world.owner, team=world.team, name="acme-a")
        on_b = namespace_create(actor=world.owner, team=world.team, name="acme-b", cluster=cluster_b)
    return a, b, cluster_b, on_a, on_b


def test_one_cluster_down_leaves_the_kubeconfig_for_the_other_and_says_what_is_missing(
    client, world, acme_on_both
):
    a, b, cluster_b, _on_a, _on_b = acme_on_both
    b.fail_next(1000, 503, message="cluster B is down")
    check_b = client_for(world.admin).post(f"/clusters/{cluster_b.pk}/check/")
    assert check_b.status_code == 302
    client.force_login(world.owner)
    response = client.post("/access/kubeconfig/", {"hours": "1"})
    assert response.status_code == 200
    text = response.content.decode()
    config = yaml.safe_load(text)
    contexts = {context["name"] for context in config["contexts"]}
    assert "acme-a" in contexts and "acme-b" not in contexts
    assert "# Not included: cluster 'cluster-b' could not issue credentials" in text
    assert "acme-b" in text.split("apiVersion")[0]  # named in the comments
    api = client_for(world.owner).post(
        "/api/v1/kubeconfig/", {"hours": 1}, format="json", HTTP_ACCEPT="application/json"
    )
    assert api.status_code == 200
    assert [u["cluster"] for u in api.json()["unavailable"]] == ["cluster-b"]
    page = client.get("/access/").content.decode()
    assert "cluster unreachable" in page
    namespace_page = client.get("/namespaces/acme-b/").content.decode()
    assert "cluster unreachable" in namespace_page
    assert "cluster unreachable" not in client.get("/namespaces/acme-a/").content.decode()
    # With every cluster down there is nothing to issue: 503 as before.
    a.fail_next(1000, 503, message="cluster A is down too")
    assert client.post("/access/kubeconfig/", {"hours": "1"}).status_code == 503


def test_the_periodic_check_records_every_cluster_and_tells_staff_when_one_changes(
    world, two_clusters, mailoutbox, django_capture_on_commit_callbacks
):
    from clusters.tasks import check_connectivity

    _a, b, b_kubeconfig = two_clusters
    cluster_b = add_cluster_b(b_kubeconfig)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_connectivity() == 0  # first look: nothing to compare with
    assert all(c.reachable and c.server_version for c in Cluster.objects.all())
    b.fail_next(1000, 503, message="cluster B is down")
    with django_capture_on_commit_callbacks(execute=True):
        assert check_connectivity() == 1
    cluster_b.refresh_from_db()
    assert cluster_b.reachable is False and "down" in cluster_b.last_error
    assert Cluster.objects.get(is_default=True).reachable is True
    [mail] = mailoutbox
    assert world.admin.email in mail.to and world.owner.email not in mail.to
    assert "cluster-b is unreachable" in mail.body
    with django_capture_on_commit_callbacks(execute=True):
        assert check_connectivity() == 0  # still down: no new mail
    assert len(mailoutbox) == 1


def test_minutes_lost_and_a_cluster_down_are_gaps_never_zero_and_the_other_cluster_is_measured(
    world, acme_on_both
):
    a, b, cluster_b, on_a, on_b = acme_on_both
    default = on_a.cluster
    a.set_pod_metrics("acme-a", "web", {"app": {"cpu": "250m", "memory": "64Mi"}})
    b.set_pod_metrics("acme-b", "web", {"app": {"cpu": "500m", "memory": "64Mi"}})
    cycles = Cycles()
    first = cycles.run().replace(second=0)  # the first window not measured by that cycle
    cycles.now += timedelta(minutes=4)  # the workers were down for four windows
    b.fail_next(1000, 503, message="cluster B is down")
    cycles.run()
    lost = UsageSample.objects.filter(
        namespace=on_a, metric=Metric.CPU_USAGE, window_start__gte=first, is_gap=True
    ).count()
    assert lost == 4  # the four windows nobody measured
    [now_a] = measured_cpu(on_a, since=cycles.now - timedelta(seconds=60))
    assert not now_a.is_gap and now_a.quantity == Decimal("0.25")
    b_samples = UsageSample.objects.filter(namespace=on_b, window_start__gte=first)
    assert b_samples.exists() and all(s.is_gap and s.quantity is None for s in b_samples)
    assert not UsageSample.objects.filter(
        quantity=0, metric=Metric.CPU_USAGE, window_start__gte=first
    ).exists()
    assert "cluster B is down" in ClusterState.objects.get(cluster=cluster_b).last_collect_error
    assert ClusterState.objects.get(cluster=default).last_collect_error == ""


def test_rejected_credentials_are_told_apart_and_a_rotated_token_file_is_picked_up(
    client, world, two_clusters
):
    _a, b, b_kubeconfig = two_clusters
    cluster_b = add_cluster_b(b_kubeconfig)
    path = Path(b_kubeconfig)
    good = path.read_text()
    path.write_text(yaml.safe_dump(b.kubeconfig(token="not-a-valid-token")))
    client.force_login(world.admin)
    client.post(f"/clusters/{cluster_b.pk}/check/")
    cluster_b.refresh_from_db()
    assert cluster_b.reachable is False and cluster_b.credentials_rejected
    assert "credentials rejected" in client.get("/clusters/").content.decode()
    # The mounted Secret is rotated: same path, new content; nobody edits the cluster.
    path.write_text(good)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    client.post(f"/clusters/{cluster_b.pk}/check/")
    cluster_b.refresh_from_db()
    assert cluster_b.reachable is True and not cluster_b.credentials_rejected


def test_a_revocation_retry_touches_only_the_cluster_that_did_not_answer(world, acme_on_both):
    """The task that revokes kubeconfig tokens after a password reset retries the clusters in
    ``failed`` only: a token issued on the others since is not revoked a second time."""
    from clusters.kubeconfigs import kubeconfig_tokens_revoke

    a, b, _cluster_b, on_a, _on_b = acme_on_both
    default = on_a.cluster
    b.fail_next(1000, 503, message="cluster B is down")
    first = kubeconfig_tokens_revoke(user=world.owner)
    assert first.revoked == [default.name] and list(first.failed) == ["cluster-b"]
    b.faults.clear()
    a.reset_counters()
    retry = kubeconfig_tokens_revoke(user=world.owner, cluster_names=list(first.failed))
    assert retry.revoked == ["cluster-b"] and retry.failed == {}
    assert a.counts()["total"] == 0
