"""Suspending and resuming the tenant's own workloads in a namespace, for the provisioner.

A suspended namespace's desired state holds a zero-pod quota (applied and pruned like every
other object); this module does what a manifest cannot: it scales every Deployment and
StatefulSet with replicas to zero and suspends every CronJob, remembering each change first
(``SuspendedWorkload``), and on resume restores exactly what it remembered. Both directions are
idempotent, so a crash half-way is finished by the next reconcile; nothing of the tenant's is
ever deleted. Only the provisioner calls these, after it proved the namespace its own.
"""

import contextlib

from clusters.kube.errors import NotFoundError
from clusters.kube.gateway import KubeGateway
from clusters.models import SuspendedWorkload
from tenants.models import Namespace

SCALABLE = ("Deployment", "StatefulSet")


def workloads_suspend(*, namespace: Namespace, gateway: KubeGateway) -> None:
    """Scale the namespace's workloads to zero and suspend its CronJobs; the first count seen
    is the one remembered, so running again never overwrites it with a zero."""
    for kind in SCALABLE:
        for obj in gateway.list("apps/v1", kind, namespace.name):
            name, replicas = obj["metadata"]["name"], obj.get("spec", {}).get("replicas", 1)
            SuspendedWorkload.objects.get_or_create(
                namespace=namespace, kind=kind, name=name, defaults={"replicas": replicas}
            )
            if replicas:
                gateway.set_scale(kind, name, namespace.name, 0)
    for obj in gateway.list("batch/v1", "CronJob", namespace.name):
        name, suspended = obj["metadata"]["name"], bool(obj.get("spec", {}).get("suspend", False))
        SuspendedWorkload.objects.get_or_create(
            namespace=namespace, kind="CronJob", name=name, defaults={"was_suspended": suspended}
        )
        if not suspended:
            gateway.patch_merge("batch/v1", "CronJob", name, {"spec": {"suspend": True}}, namespace.name)


def workloads_resume(*, namespace: Namespace, gateway: KubeGateway) -> None:
    """Give back what ``workloads_suspend`` took, one workload at a time (each forgotten once
    restored). A workload the tenant deleted meanwhile is simply forgotten."""
    for memory in SuspendedWorkload.objects.filter(namespace=namespace):
        with contextlib.suppress(NotFoundError):
            if memory.kind == "CronJob":
                suspend = {"spec": {"suspend": bool(memory.was_suspended)}}
                gateway.patch_merge("batch/v1", "CronJob", memory.name, suspend, namespace.name)
            elif memory.replicas:
                gateway.set_scale(memory.kind, memory.name, namespace.name, memory.replicas)
        memory.delete()


def has_suspended_workloads(namespace: Namespace) -> bool:
    return SuspendedWorkload.objects.filter(namespace=namespace).exists()
