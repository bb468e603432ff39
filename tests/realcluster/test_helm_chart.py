"""The Helm chart on a real control plane of its own, where only the chart grants the console
anything: every rendered object (the migration hook Job too) passes a server-side dry run and
is applied for real, its pods pass Pod Security ``restricted``, and the console, holding only a
token of the chart's ServiceAccount, bootstraps the cluster and provisions a namespace."""

import subprocess
from collections.abc import Iterator

import pytest
import yaml
from django.utils import timezone

from clusters.connections import forget_gateways
from clusters.kube.gateway import KubeGateway
from localcluster.binaries import binaries
from localcluster.launcher import LocalCluster, kubeconfig_document
from namespaces.services import namespace_create
from tenants.models import NamespaceStatus
from tests.deploy.chart import render
from tests.factories import TeamFactory, TeamMembershipFactory, UserFactory
from tests.realcluster.conftest import wait_until

pytestmark = pytest.mark.realcluster

NAMESPACE = "tenantry-system"
SERVICE_ACCOUNT = "tenantry-console"  # the chart's default for release "tenantry"
COMPONENTS = ("web", "worker", "beat", "migrate")


@pytest.fixture(scope="module")
def chart_cluster() -> Iterator[LocalCluster]:
    cluster = LocalCluster(binaries()).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def kubectl(cluster: LocalCluster, *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [str(binaries().kubectl), "--kubeconfig", str(cluster.admin_kubeconfig), *args],
        input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(chart_cluster: LocalCluster) -> list[dict]:
    """As the chart's README says: the namespace labelled restricted, the secret, then the chart."""
    kubectl(chart_cluster, "create", "namespace", NAMESPACE)
    kubectl(chart_cluster, "label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted")
    kubectl(
        chart_cluster, "-n", NAMESPACE, "create", "secret", "generic", "tenantry-secrets",
        "--from-literal=SECRET_KEY=x", "--from-literal=METRICS_TOKEN=y",
    )  # fmt: skip
    objects = render("ingress.enabled=true", namespace=NAMESPACE)
    manifest = yaml.safe_dump_all(objects)
    dry_run = kubectl(
        chart_cluster,
        "apply",
        "--server-side",
        "--dry-run=server",
        "-n",
        NAMESPACE,
        "-f",
        "-",
        stdin=manifest,
    )
    assert dry_run.count("serverside-applied (server dry run)") == len(objects), dry_run
    applied = kubectl(chart_cluster, "apply", "--server-side", "-n", NAMESPACE, "-f", "-", stdin=manifest)
    assert applied.count("serverside-applied") == len(objects), applied
    return objects


def test_every_object_is_applied_and_every_pod_passes_pod_security(chart_cluster, installed):
    listed = kubectl(
        chart_cluster, "get", "-n", NAMESPACE, "-f", "-", "-o", "name", stdin=yaml.safe_dump_all(installed)
    )
    assert len(listed.split()) == len(installed)
    admin = KubeGateway.from_kubeconfig(str(chart_cluster.admin_kubeconfig))
    try:

        def pods_by_component() -> set[str]:
            return {
                pod["metadata"]["labels"].get("app.kubernetes.io/component", "")
                for pod in admin.list("v1", "Pod", NAMESPACE)
            }

        # The controllers create the pods; Pod Security admission refuses any that breaks
        # "restricted" (there is no scheduler or kubelet: they stay Pending).
        wait_until(lambda: pods_by_component() >= set(COMPONENTS), timeout=60, what="a pod of every kind")
    finally:
        admin.close()


def test_the_charts_service_account_is_enough_to_bootstrap_and_provision(
    chart_cluster, installed, settings, db, django_capture_on_commit_callbacks
):
    admin = KubeGateway.from_kubeconfig(str(chart_cluster.admin_kubeconfig))
    try:
        token, _ = admin.create_token(NAMESPACE, SERVICE_ACCOUNT, 3600)
        document = kubeconfig_document(
            chart_cluster.url, chart_cluster.ca_cert, name="chart", user={"token": token}
        )
        settings.KUBECONFIG = str(chart_cluster.write_kubeconfig("chart-console.kubeconfig", document))
        settings.TENANTRY_SYSTEM_NAMESPACE = NAMESPACE
        settings.TENANTRY_CONSOLE_USERNAME = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
        forget_gateways()
        from metering.services.discovery import clusters_discover

        clusters_discover(now=timezone.now())
        owner = UserFactory()
        team = TeamFactory(name="chart", slug="chart", trust_level="trusted")
        TeamMembershipFactory(team=team, user=owner, role="owner")
        with django_capture_on_commit_callbacks(execute=True):
            namespace = namespace_create(actor=owner, team=team, name="chart-proof")
        namespace.refresh_from_db()
        assert namespace.status == NamespaceStatus.READY, namespace.provisioning.last_error
        live = admin.get("v1", "Namespace", "chart-proof")
        assert live["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "tenantry"
        assert admin.get("v1", "ResourceQuota", "tenant-quota", "chart-proof") is not None
        bindings = admin.list("rbac.authorization.k8s.io/v1", "RoleBinding", "chart-proof")
        assert any(b["roleRef"]["name"] == "tenant-admin" for b in bindings)
        accounts = admin.list("v1", "ServiceAccount", NAMESPACE)
        assert len(accounts) >= 2  # the console's own and the owner's
    finally:
        forget_gateways()
        admin.close()
