"""Suspension of prepaid teams in debt, and exact resumption after a top-up.

Decision and state live here; the cluster is reached only through ``gateway`` objects
with the ``KubeGateway`` methods (``apply``, ``get``, ``list``, ``delete``,
``patch_merge``, ``set_scale``). Suspending a namespace:

* applies an extra ResourceQuota ``tenantry-billing-suspend`` with ``pods: "0"`` (the
  tenant's own quota is left alone, so resume only deletes ours);
* scales every Deployment and StatefulSet with replicas > 0 to zero, remembering the count;
* suspends every CronJob, remembering whether it was already suspended.

Memory is written before each cluster change and both steps are idempotent, so a crash
mid-way is repaired by the next run. Nothing is ever deleted from the tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import Band, BillingAccount, SuspendedObject
from tenants.models import BillingMode, Namespace, Team
from tenants.services.audit import audit_record

SUSPEND_QUOTA = "tenantry-billing-suspend"
SCALABLE = ("Deployment", "StatefulSet")


class ClusterGateway(Protocol):
    """The part of ``clusters.kube.gateway.KubeGateway`` suspension uses."""

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]: ...
    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[dict[str, Any]]: ...
    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool: ...
    def patch_merge(
        self, api_version: str, kind: str, name: str, patch: dict[str, Any], namespace: str | None = None
    ) -> dict[str, Any]: ...
    def set_scale(self, kind: str, name: str, namespace: str, replicas: int) -> int: ...


def default_gateway(namespace: Namespace) -> ClusterGateway:
    from clusters.connections import cluster_for_namespace, gateway_for_cluster

    return gateway_for_cluster(cluster_for_namespace(namespace))


GatewayFactory = Callable[[Namespace], ClusterGateway]


def suspension_due(*, account: BillingAccount, team: Team, now: datetime) -> bool:
    """A prepaid team in debt for longer than BILLING_SUSPEND_GRACE_HOURS, not yet suspended."""
    return (
        team.billing_mode == BillingMode.PREPAID
        and account.band == Band.DEBT
        and account.debt_since is not None
        and account.debt_since <= now - timedelta(hours=settings.BILLING_SUSPEND_GRACE_HOURS)
        and account.suspended_at is None
    )


def resume_due(*, account: BillingAccount) -> bool:
    return account.suspended_at is not None and account.band != Band.DEBT


def suspend_quota_manifest(namespace: Namespace) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": SUSPEND_QUOTA,
            "namespace": namespace.name,
            "labels": {"app.kubernetes.io/managed-by": "tenantry", "tenantry.io/reason": "billing-debt"},
        },
        "spec": {"hard": {"pods": "0"}},
    }


def namespace_suspend(*, namespace: Namespace, gateway: ClusterGateway) -> None:
    gateway.apply(suspend_quota_manifest(namespace))
    for kind in SCALABLE:
        for obj in gateway.list("apps/v1", kind, namespace.name):
            name, replicas = obj["metadata"]["name"], obj.get("spec", {}).get("replicas", 1)
            SuspendedObject.objects.get_or_create(
                namespace=namespace, kind=kind, name=name, defaults={"replicas": replicas}
            )
            if replicas:
                gateway.set_scale(kind, name, namespace.name, 0)
    for obj in gateway.list("batch/v1", "CronJob", namespace.name):
        name = obj["metadata"]["name"]
        SuspendedObject.objects.get_or_create(
            namespace=namespace,
            kind="CronJob",
            name=name,
            defaults={"was_suspended": bool(obj.get("spec", {}).get("suspend", False))},
        )
        gateway.patch_merge("batch/v1", "CronJob", name, {"spec": {"suspend": True}}, namespace.name)


def namespace_resume(*, namespace: Namespace, gateway: ClusterGateway) -> None:
    for memory in SuspendedObject.objects.filter(namespace=namespace):
        if memory.kind == "CronJob":
            suspend = {"spec": {"suspend": bool(memory.was_suspended)}}
            gateway.patch_merge("batch/v1", "CronJob", memory.name, suspend, namespace.name)
        elif memory.replicas:
            gateway.set_scale(memory.kind, memory.name, namespace.name, memory.replicas)
        memory.delete()
    gateway.delete("v1", "ResourceQuota", SUSPEND_QUOTA, namespace.name)


def team_suspend(
    *, team: Team, now: datetime | None = None, gateway_for: GatewayFactory | None = None
) -> None:
    """Suspend every live namespace, then record the suspension (audit in the same transaction)."""
    now = now or timezone.now()
    gateway_for = gateway_for or default_gateway
    for namespace in Namespace.objects.owned_on_cluster().filter(team=team):
        namespace_suspend(namespace=namespace, gateway=gateway_for(namespace))
    with transaction.atomic():
        BillingAccount.objects.filter(team=team).update(suspended_at=now)
        audit_record(actor=None, action="billing.team.suspended", target=team, data={"reason": "debt"})


def team_resume(*, team: Team, gateway_for: GatewayFactory | None = None) -> None:
    """Restore exactly what suspension changed, then clear the suspension."""
    gateway_for = gateway_for or default_gateway
    for namespace in Namespace.objects.owned_on_cluster().filter(team=team):
        namespace_resume(namespace=namespace, gateway=gateway_for(namespace))
    with transaction.atomic():
        BillingAccount.objects.filter(team=team).update(suspended_at=None)
        audit_record(actor=None, action="billing.team.resumed", target=team, data={})


def suspensions_enforce(*, now: datetime | None = None, gateway_for: GatewayFactory | None = None) -> dict:
    """The hourly check: suspend teams past the debt grace period, resume teams out of debt."""
    now = now or timezone.now()
    suspended = resumed = 0
    accounts = (
        BillingAccount.objects.select_related("team")
        .filter(team__billing_mode=BillingMode.PREPAID)
        .filter(Q(band=Band.DEBT, suspended_at__isnull=True) | Q(suspended_at__isnull=False))
    )
    for account in accounts:
        if suspension_due(account=account, team=account.team, now=now):
            team_suspend(team=account.team, now=now, gateway_for=gateway_for)
            suspended += 1
        elif resume_due(account=account):
            team_resume(team=account.team, gateway_for=gateway_for)
            resumed += 1
    return {"suspended": suspended, "resumed": resumed}
