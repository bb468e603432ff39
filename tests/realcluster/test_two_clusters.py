"""Two control planes in one test (issue 18): the session's cluster (A, the default) and a
second one (B) that staff add by a kubeconfig path. B goes down: A keeps working and the
kubeconfig says what is missing. B comes back empty, as after a rebuild (a new control plane
behind the same, rewritten, kubeconfig file): the periodic reconcile puts its bootstrap objects
and the team's namespace back, and the kubeconfig covers both clusters again."""

from collections.abc import Iterator

import pytest
from django.conf import settings

from clusters.bootstrap import cluster_bootstrap_check
from clusters.connections import default_cluster
from clusters.kube.gateway import KubeGateway
from clusters.kube.manifests import bootstrap_objects
from clusters.kube.spec import platform_settings_from_django
from clusters.kubeconfigs import kubeconfig_issue
from clusters.models import Cluster
from clusters.services import cluster_create, clusters_check_connectivity, team_placement_set
from clusters.tasks import reconcile_all
from localcluster.binaries import binaries
from localcluster.identity import prepare
from localcluster.launcher import LocalCluster
from namespaces.services import namespace_create
from tenants.models import Namespace, NamespaceStatus
from tests.factories import TeamFactory, TeamMembershipFactory
from tests.realcluster.conftest import new_user, unique_name
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster


@pytest.fixture
def control_planes() -> Iterator[list[LocalCluster]]:
    """Control planes started by the test, stopped (if still running) at its end."""
    started: list[LocalCluster] = []
    yield started
    for cluster in started:
        cluster.stop()


def _start(control_planes: list[LocalCluster]) -> LocalCluster:
    cluster = LocalCluster(binaries()).start()
    control_planes.append(cluster)
    return cluster


def _ready(namespace: Namespace) -> Namespace:
    namespace.refresh_from_db()
    assert namespace.status == NamespaceStatus.READY, namespace.provisioning.last_error
    return namespace


def test_one_control_plane_down_then_rebuilt_costs_the_other_nothing(
    console, control_planes, tmp_path, django_capture_on_commit_callbacks
):
    platform = platform_settings_from_django(settings)
    b_kubeconfig = tmp_path / "b.kubeconfig"  # what a mounted, rotated Secret would be
    b_kubeconfig.write_bytes(prepare(_start(control_planes)).read_bytes())
    staff = new_user("staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    a = default_cluster()
    b = cluster_create(actor=staff, name=unique_name("b"), kubeconfig_path=str(b_kubeconfig))
    owner = new_user("owner")
    team = TeamFactory(name=unique_name("two"), slug=unique_name("two"), trust_level="trusted")
    TeamMembershipFactory(team=team, user=owner, role="owner")
    team_placement_set(actor=staff, team=team, clusters=[a, b], default=a)
    with django_capture_on_commit_callbacks(execute=True):
        on_a = namespace_create(actor=owner, team=team, name=unique_name("on-a"))
        on_b = namespace_create(actor=owner, team=team, name=unique_name("on-b"), cluster=b)
    on_a, on_b = _ready(on_a), _ready(on_b)
    assert (on_a.cluster, on_b.cluster) == (a, b)
    assert sorted(kubeconfig_issue(user=owner).namespaces) == sorted([on_a.name, on_b.name])

    # B goes down.
    control_planes[0].stop()
    issued = kubeconfig_issue(user=owner)
    assert issued.namespaces == [on_a.name]
    assert [(u.cluster, u.namespaces) for u in issued.unavailable] == [(b.name, [on_b.name])]
    assert f"cluster '{b.name}' could not issue credentials" in issued.text
    tenant = TenantClient(issued.text)
    try:
        assert tenant.get(f"/api/v1/namespaces/{on_a.name}/configmaps").status == 200
    finally:
        tenant.close()
    clusters_check_connectivity()
    assert Cluster.objects.get(pk=b.pk).reachable is False
    assert Cluster.objects.get(pk=a.pk).reachable is True
    assert cluster_bootstrap_check(cluster=b).error
    assert cluster_bootstrap_check(cluster=a).error == ""

    # B is rebuilt empty; its kubeconfig file is rewritten in place.
    rebuilt = _start(control_planes)
    b_kubeconfig.write_bytes(prepare(rebuilt).read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_all()

    admin = KubeGateway.from_kubeconfig(str(rebuilt.admin_kubeconfig))
    try:
        for obj in bootstrap_objects(platform):
            meta = obj["metadata"]
            assert admin.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")), meta[
                "name"
            ]
        on_b = _ready(on_b)
        live = admin.get("v1", "Namespace", on_b.name)
        assert live["metadata"]["uid"] == on_b.provisioning.cluster_uid
        bindings = admin.list("rbac.authorization.k8s.io/v1", "RoleBinding", on_b.name)
        assert any(rb["roleRef"]["name"] == "tenant-admin" for rb in bindings)
    finally:
        admin.close()
    issued = kubeconfig_issue(user=owner)
    assert issued.unavailable == []
    assert sorted(issued.namespaces) == sorted([on_a.name, on_b.name])
