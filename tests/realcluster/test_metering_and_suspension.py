"""Metering and suspension on real controllers, as the console's own identity.

Quota ``status.used`` is written by kube-apiserver's quota admission and the
kube-controller-manager's resourcequota controller; Deployments, StatefulSets and CronJobs
are driven by their real controllers (pods stay Pending: there are no nodes).
"""

from decimal import Decimal

import pytest

from billing.models import BillingAccount
from billing.services.suspension import team_resume, team_suspend
from clusters.kube.manifests.names import SUSPEND_QUOTA
from clusters.kubeconfigs import kubeconfig_issue
from clusters.models import SuspendedWorkload
from metering.models import Metric
from tests.realcluster.conftest import collect_usage, wait_until
from tests.realcluster.objects import RESTRICTED_POD_SPEC, container, deployment, pod, statefulset
from tests.realcluster.tenant_client import TenantClient

pytestmark = pytest.mark.realcluster

APPS = "/apis/apps/v1/namespaces"


def _used(admin_gateway, namespace: str) -> dict[str, str]:
    quota = admin_gateway.get("v1", "ResourceQuota", "tenant-quota", namespace)
    return (quota.get("status") or {}).get("used") or {}


def test_metering_reads_quota_usage_written_by_the_real_quota_system(make_tenant, admin_gateway):
    tenant = make_tenant()
    client = TenantClient(kubeconfig_issue(user=tenant.owner).text)
    pods = f"/api/v1/namespaces/{tenant.name}/pods"
    resources = {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}
    for name in ("a", "b"):
        answer = client.create(pods, pod(name, tenant.name, containers=container(resources=resources)))
        assert answer.status == 201, answer

    wait_until(lambda: _used(admin_gateway, tenant.name).get("pods") == "2", what="quota usage of 2 pods")
    samples = collect_usage(tenant.name)[tenant.name]
    assert samples[Metric.PODS] == 2
    assert samples[Metric.CPU_REQUEST] == Decimal("0.5")
    assert samples[Metric.CPU_LIMIT] == Decimal("1")
    assert samples[Metric.MEMORY_REQUEST] == 128 * 2**20
    # No metrics-server on this cluster: CPU usage is a gap, never a zero.
    assert samples[Metric.CPU_USAGE] is None

    # Releasing usage is the resourcequota controller's work, not admission's.
    assert client.delete(f"{pods}/a").status == 200
    wait_until(
        lambda: _used(admin_gateway, tenant.name).get("pods") == "1", what="the controller releasing a pod"
    )
    assert collect_usage(tenant.name)[tenant.name][Metric.CPU_REQUEST] == Decimal("0.25")
    client.close()


def _cronjob(name: str, namespace: str, suspend: bool) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "schedule": "*/5 * * * *",
            "suspend": suspend,
            "jobTemplate": {
                "spec": {"template": {"spec": {**RESTRICTED_POD_SPEC, "restartPolicy": "Never"}}}
            },
        },
    }


def _pod_count(admin_gateway, namespace: str, app: str) -> int:
    return sum(
        1
        for item in admin_gateway.list("v1", "Pod", namespace, label_selector=f"app={app}")
        if not item["metadata"].get("deletionTimestamp")
    )


def test_suspension_and_resume_on_real_controllers(
    make_tenant, admin_gateway, django_capture_on_commit_callbacks
):
    """Billing records the suspension; the provisioner applies it and undoes it."""
    tenant = make_tenant()
    BillingAccount.objects.get_or_create(team=tenant.team)
    ns = tenant.name
    client = TenantClient(kubeconfig_issue(user=tenant.owner).text)
    for path, body in (
        (f"{APPS}/{ns}/deployments", deployment("web", ns, replicas=2)),
        (f"{APPS}/{ns}/statefulsets", statefulset("db", ns)),
        (f"/apis/batch/v1/namespaces/{ns}/cronjobs", _cronjob("nightly", ns, suspend=False)),
        (f"/apis/batch/v1/namespaces/{ns}/cronjobs", _cronjob("paused", ns, suspend=True)),
    ):
        answer = client.create(path, body)
        assert answer.status == 201, answer
    wait_until(lambda: _pod_count(admin_gateway, ns, "web") == 2, what="the Deployment's two pods")
    wait_until(lambda: _pod_count(admin_gateway, ns, "db") == 1, what="the StatefulSet's pod")

    with django_capture_on_commit_callbacks(execute=True):
        team_suspend(team=tenant.team)

    assert admin_gateway.get("v1", "ResourceQuota", SUSPEND_QUOTA, ns)["spec"]["hard"] == {"pods": "0"}
    wait_until(lambda: _pod_count(admin_gateway, ns, "web") == 0, what="the Deployment scaled to zero")
    wait_until(lambda: _pod_count(admin_gateway, ns, "db") == 0, what="the StatefulSet scaled to zero")
    assert admin_gateway.get("batch/v1", "CronJob", "nightly", ns)["spec"]["suspend"] is True
    # The tenant scaling back up gets no pods: the suspension quota refuses them.
    scaled = client.merge_patch(f"{APPS}/{ns}/deployments/web/scale", {"spec": {"replicas": 3}})
    assert scaled.status == 200, scaled
    refused = client.create(f"/api/v1/namespaces/{ns}/pods", pod("sneak", ns))
    assert (refused.status, refused.reason) == (403, "Forbidden"), refused
    assert f"exceeded quota: {SUSPEND_QUOTA}" in refused.message

    with django_capture_on_commit_callbacks(execute=True):
        team_resume(team=tenant.team)

    assert admin_gateway.get("v1", "ResourceQuota", SUSPEND_QUOTA, ns) is None
    assert not SuspendedWorkload.objects.filter(namespace=tenant.namespace).exists()
    assert admin_gateway.get("batch/v1", "CronJob", "nightly", ns)["spec"]["suspend"] is False
    assert admin_gateway.get("batch/v1", "CronJob", "paused", ns)["spec"]["suspend"] is True
    wait_until(lambda: _pod_count(admin_gateway, ns, "web") == 2, what="the Deployment's pods back")
    wait_until(lambda: _pod_count(admin_gateway, ns, "db") == 1, what="the StatefulSet's pod back")
    client.close()


def test_lists_are_read_page_by_page_on_a_real_api_server(make_tenant, admin_gateway, settings):
    """The collector reads each kind with ``limit``/``continue``: kube-apiserver's pages, put
    together, are its whole list, and a window measured one object per page gives the same
    samples as one measured in a single page."""
    pages = list(admin_gateway.list_pages("v1", "ServiceAccount", limit=2))
    assert len(pages) > 1 and all(len(page) <= 2 for page in pages)
    paged = sorted((sa["metadata"]["namespace"], sa["metadata"]["name"]) for page in pages for sa in page)
    whole = sorted(
        (sa["metadata"]["namespace"], sa["metadata"]["name"])
        for sa in admin_gateway.list("v1", "ServiceAccount")
    )
    assert paged == whole

    tenants = [make_tenant(), make_tenant()]
    names = [t.name for t in tenants]
    settings.METERING_LIST_PAGE_SIZE = 500
    one_page = collect_usage(*names)
    settings.METERING_LIST_PAGE_SIZE = 1
    one_per_page = collect_usage(*names)
    assert one_per_page == one_page
    assert all(one_page[name].get(Metric.CPU_REQUEST) is not None for name in names)


def test_kube_apiserver_lists_in_etcd_key_order_and_metering_relies_on_it(
    make_tenant, admin_gateway, settings, monkeypatch
):
    """The collector writes a namespace once every list has moved past it, so it needs what
    kube-apiserver does: pages of a cluster-wide list in etcd key order
    (``/registry/<resource>/<namespace>/<name>``), where ``<name>-b`` comes before ``<name>``
    ('-' is below '/'). Metering in pages of one and batches of one gives the samples of one
    page; the namespace the console does not own is ignored."""
    from metering.services import collector

    tenant = make_tenant()
    foreign = f"{tenant.name}-b"  # not the console's: created here as the administrator
    admin_gateway.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": foreign}})
    try:
        for ns in (tenant.name, foreign):
            admin_gateway.apply(
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "edge", "namespace": ns},
                 "spec": {"ports": [{"port": 80}]}}
            )  # fmt: skip
        keys = [
            f"{svc['metadata']['namespace']}/{svc['metadata']['name']}".encode()
            for page in admin_gateway.list_pages("v1", "Service", limit=2)
            for svc in page
        ]
        assert keys == sorted(keys) and len(keys) == len(set(keys))
        assert keys.index(f"{foreign}/edge".encode()) < keys.index(f"{tenant.name}/edge".encode())

        settings.METERING_LIST_PAGE_SIZE = 500
        one_page = collect_usage(tenant.name)
        settings.METERING_LIST_PAGE_SIZE = 1
        monkeypatch.setattr(collector, "NAMESPACE_BATCH", 1)
        assert collect_usage(tenant.name) == one_page
        assert (
            one_page[tenant.name][Metric.LOAD_BALANCERS] == 0
        )  # measured: the Service is not a LoadBalancer
    finally:
        admin_gateway.delete("v1", "Namespace", foreign)
