"""Reconciling a namespace's desired objects onto its cluster.

``namespace_provision`` is what the worker runs: build the desired objects from the
database (pure functions in ``clusters.kube``), apply them with server-side apply, prune
what the console made earlier but no longer wants, and record the outcome on the
namespace. A short lease on the row keeps two workers from working on one namespace.
"""

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clusters.bootstrap import apply_object, cluster_bootstrap, contains, object_key
from clusters.connections import gateway_for_cluster
from clusters.kube.errors import ConflictError, KubeError, PermanentKubeError
from clusters.kube.gateway import GATEWAY_API, KubeGateway
from clusters.kube.manifests import desired_hash, tenant_namespace_objects, tenant_selector
from clusters.kube.ownership import NAME_TAKEN, claim_object, foreign_reason
from clusters.kube.spec import (
    PlatformSettings,
    TenantNamespaceSpec,
    namespace_spec_from_model,
    platform_settings_from_django,
)
from clusters.models import Cluster, NamespaceProvisioning
from clusters.suspension import has_suspended_workloads, workloads_resume, workloads_suspend
from core.claims import Lease, new_owner
from domains.routes import ROUTE_KINDS, route_claims
from domains.services import route_claims_record
from tenants.models import Namespace, NamespaceStatus
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
CLAIM = Lease("lease_owner", "lease_until")
# Kinds the console creates inside a tenant namespace (the Namespace itself aside).
NAMESPACED_KINDS = (
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
)
TERMINATION_POLL = (0.25, 20)  # seconds between checks, checks before handing back to the queue


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    BUSY = "busy"
    TERMINATING = "terminating"
    DELETED = "deleted"
    FAILED = "failed"


class ForeignNamespace(PermanentKubeError):
    """A namespace of that name exists on the cluster and the console did not create it."""

    def __init__(self, message: str):
        super().__init__(message, reason="NameTaken")


# What the provisioner writes on the namespace record itself; everything else is its own row's.
_RECORD_FIELDS = frozenset({"status", "deleted_at"})


def _save(namespace: Namespace, **fields) -> None:
    """Record how provisioning went: the lifecycle on the namespace, the rest on its
    ``NamespaceProvisioning`` row."""
    record = {name: value for name, value in fields.items() if name in _RECORD_FIELDS}
    state = {name: value for name, value in fields.items() if name not in _RECORD_FIELDS}
    provisioning = provisioning_of(namespace)
    for name, value in record.items():
        setattr(namespace, name, value)
    for name, value in state.items():
        setattr(provisioning, name, value)
    if record:
        Namespace.objects.filter(pk=namespace.pk).update(**record)
    if state:
        NamespaceProvisioning.objects.filter(pk=namespace.pk).update(**state)


def provisioning_of(namespace: Namespace) -> NamespaceProvisioning:
    """The namespace's provisioning row, made now for a record that has none yet."""
    try:
        return namespace.provisioning
    except NamespaceProvisioning.DoesNotExist:
        namespace.provisioning, _ = NamespaceProvisioning.objects.get_or_create(namespace=namespace)
        return namespace.provisioning


def _claim(namespace_id: int, owner: str) -> bool:
    """Take the namespace's lease; its provisioning row is made here for a record that has none."""
    row = NamespaceProvisioning.objects.filter(pk=namespace_id)
    if CLAIM.claim(row, owner=owner, duration=LEASE):
        return True
    if row.exists() or not Namespace.objects.filter(pk=namespace_id).exists():
        return False
    NamespaceProvisioning.objects.get_or_create(namespace_id=namespace_id)
    return CLAIM.claim(row, owner=owner, duration=LEASE) == 1


def _condition(kind: str, ok: bool, reason: str, message: str = "") -> dict:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message,
        "lastTransitionTime": timezone.now().isoformat(),
    }


# What the floors above decide about a namespace's spec, by ``namespace_spec_from_model``
# argument: metering registers its runtime selection, its quota and the namespace's runtime
# policy (``MeteringConfig.ready``), billing whether the namespace is suspended
# (``BillingConfig.ready``).
SPEC_INPUTS = frozenset({"runtime", "quota_overrides", "suspended", "min_isolation", "needs_gpu"})
_spec_input_providers: dict[str, Callable[[Namespace], Any]] = {}


def provide_spec_input(name: str, provider: Callable[[Namespace], Any]) -> None:
    """Let ``provider(namespace)`` supply the spec argument ``name`` for every namespace."""
    if name not in SPEC_INPUTS:
        raise ValueError(f"{name!r} is not a spec input; expected one of {sorted(SPEC_INPUTS)}")
    _spec_input_providers[name] = provider


def desired_spec(namespace: Namespace) -> TenantNamespaceSpec:
    inputs = {name: provide(namespace) for name, provide in _spec_input_providers.items()}
    return namespace_spec_from_model(namespace, settings=settings, **inputs)


def desired_objects(namespace: Namespace, platform: PlatformSettings) -> list[dict]:
    return tenant_namespace_objects(desired_spec(namespace), platform)


def _own_namespace(
    gateway: KubeGateway, namespace: Namespace, platform: PlatformSettings
) -> tuple[dict, bool]:
    """The live Namespace, created here when absent, and whether it was created now;
    ``ForeignNamespace`` when it is not ours.

    Creation is create-if-absent with nothing but the ownership marks, so a name someone
    else holds (or takes in the meantime) answers AlreadyExists and nothing is written. A
    namespace the console never created (no UID recorded) is created straight away, without
    a read first: AlreadyExists is the check, and only then is the existing one read and
    judged by its marks.
    """
    live = None
    if provisioning_of(namespace).cluster_uid:
        live = gateway.get("v1", "Namespace", namespace.name)
    if live is None:
        try:
            live = gateway.create(claim_object(platform, namespace.name, namespace.pk))
        except ConflictError:
            live = gateway.get("v1", "Namespace", namespace.name)
            if live is None:  # gone again in between: the next attempt creates it
                raise ForeignNamespace(
                    f"{NAME_TAKEN}: namespace '{namespace.name}' is being replaced"
                ) from None
        else:
            return _created_again(namespace, live), True
    reason = foreign_reason(
        live, platform, namespace_id=namespace.pk, uid=provisioning_of(namespace).cluster_uid
    )
    if reason:
        raise ForeignNamespace(reason)
    uid = live.get("metadata", {}).get("uid", "")
    if uid and not provisioning_of(namespace).cluster_uid:
        _save(namespace, cluster_uid=uid)
    return live, False


def _created_again(namespace: Namespace, live: dict) -> dict:
    """The console has just created the namespace, so it is its own whatever UID it had before:
    a namespace that vanished (deleted on the cluster, or the cluster was reset) is made again
    rather than left in error for ever."""
    uid = live.get("metadata", {}).get("uid", "")
    if provisioning_of(namespace).cluster_uid and uid != provisioning_of(namespace).cluster_uid:
        logger.warning("namespace %s was gone from its cluster; created again", namespace.name)
        audit_record(
            actor=None,
            action="namespace.recreated_on_cluster",
            target=namespace,
            data={"uid": uid, "previous_uid": provisioning_of(namespace).cluster_uid},
        )
    if uid:
        _save(namespace, cluster_uid=uid)
    return live


def _live_objects(
    gateway: KubeGateway, namespace: Namespace, platform: PlatformSettings, ns_obj: dict | None
) -> dict[str, dict]:
    """The console's objects for this namespace as the cluster has them: one list per kind."""
    live: dict[str, dict] = {}
    if ns_obj is not None:
        ns_obj.setdefault("kind", "Namespace")
        ns_obj.setdefault("apiVersion", "v1")
        live[object_key(ns_obj)] = ns_obj
    selector = tenant_selector(platform, namespace.name)
    for api_version, kind in NAMESPACED_KINDS:
        for item in gateway.list(api_version, kind, namespace.name, label_selector=selector):
            live[object_key(item)] = item
    return live


def _drifted(objects: list[dict], live: dict[str, dict]) -> tuple[list[dict], set[str]]:
    """The desired objects the cluster lacks or holds otherwise, and the console's objects
    there that are no longer desired."""
    desired = {object_key(obj): obj for obj in objects}
    missing = [obj for key, obj in desired.items() if key not in live or not contains(obj, live[key])]
    return missing, set(live) - set(desired)


def _prune(gateway: KubeGateway, keys: set[str], uids: dict[str, str]) -> list[str]:
    """Delete objects the console made for this namespace that are no longer desired.

    Each was found by the console's labels (which tenants cannot forge) or is remembered as
    applied by the console; with its UID known the delete is conditional on it, so an object
    someone else made under that name since is left alone.
    """
    pruned = []
    for key in sorted(keys):
        kind, namespace, name = key.split("/", 2)
        api_version = next(av for av, k in NAMESPACED_KINDS if k == kind)
        try:
            gateway.delete(api_version, kind, name, namespace, uid=uids.get(key, ""))
        except ConflictError:
            logger.warning("%s was replaced on the cluster by someone else; not pruning it", key)
            continue
        pruned.append(key)
    return pruned


def _object_hash(obj: dict) -> str:
    return desired_hash([obj])


def _uid(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("uid", "")


def namespace_provision(*, namespace_id: int) -> Outcome:
    """Bring one namespace on its cluster in line with the database. Safe to run twice.

    Transient API errors propagate (the task retries them); permanent ones are recorded on
    the namespace as ``error``.
    """
    owner = new_owner()
    if not _claim(namespace_id, owner):
        return Outcome.BUSY
    try:
        namespace = Namespace.objects.select_related("team", "cluster", "provisioning").get(pk=namespace_id)
        if namespace.status == NamespaceStatus.DELETED:
            return Outcome.DELETED
        try:
            cluster = namespace.cluster
            gateway = gateway_for_cluster(cluster)
            if namespace.status == NamespaceStatus.TERMINATING:
                return _terminate(namespace, gateway)
            outcome, new = _reconcile(namespace, cluster, gateway)
            if not new:  # a namespace made for the first time just now serves no routes and has no claims
                _record_routes(namespace, gateway)
            return outcome
        except PermanentKubeError as exc:
            _record_failure(namespace, exc)
            return Outcome.FAILED
    finally:
        CLAIM.release(NamespaceProvisioning.objects.filter(pk=namespace_id), owner=owner)


def _reconcile(namespace: Namespace, cluster: Cluster, gateway: KubeGateway) -> tuple[Outcome, bool]:
    """Apply what differs; returns the outcome and whether the namespace was created just now
    for the first time (one made again after it vanished may still have claims to clear).

    Four paths, by what the console knows:

    - created now: the namespace holds nothing of the console's, so every object is applied
      and nothing is read or pruned (one create and one apply per object);
    - desired state unchanged since the last apply (the periodic reconcile, a repeated task):
      the console's objects are read, one list per kind, and only drifted ones are written,
      strays pruned; this is how drift is caught and healed;
    - desired state changed on a ready namespace with a record of what was applied: only the
      objects whose desired state changed are applied, and those no longer desired deleted by
      their recorded UID; the others are checked by the next periodic reconcile;
    - otherwise (a failed or interrupted apply, no record): everything is applied and pruned.
    """
    platform = platform_settings_from_django(settings)
    cluster_bootstrap(cluster=cluster, gateway=gateway, platform=platform, check=False)
    spec = desired_spec(namespace)
    objects = tenant_namespace_objects(spec, platform)
    digest = desired_hash(objects)
    hashes = {object_key(obj): _object_hash(obj) for obj in objects}
    now = timezone.now()
    first = not provisioning_of(namespace).cluster_uid  # never created on the cluster before
    ns_obj, created = _own_namespace(gateway, namespace, platform)
    provisioning = provisioning_of(namespace)
    ready = namespace.status == NamespaceStatus.READY
    remembered: dict[str, dict] = {} if created else dict(provisioning.applied_objects or {})
    uids = {key: entry.get("uid", "") for key, entry in remembered.items()}
    stale: set[str] = set()
    if created:
        to_apply = objects
    elif digest == provisioning.applied_hash and ready:
        live = _live_objects(gateway, namespace, platform, ns_obj)
        to_apply, stale = _drifted(objects, live)
        uids.update({key: _uid(obj) for key, obj in live.items()})
        if not to_apply and not stale:
            _workloads_settle(namespace, gateway, suspended=spec.suspended)
            known = {key: {"hash": hashes[key], "uid": uids.get(key, "")} for key in hashes}
            _save(namespace, last_reconciled_at=now, desired_hash=digest, applied_objects=known)
            return Outcome.UNCHANGED, False
    elif ready and remembered:
        to_apply = [
            obj
            for obj in objects
            if remembered.get(object_key(obj), {}).get("hash") != hashes[object_key(obj)]
        ]
        stale = set(remembered) - set(hashes)
    else:
        to_apply = objects
        live = _live_objects(gateway, namespace, platform, None)
        stale = set(live) - set(hashes)
        uids.update({key: _uid(obj) for key, obj in live.items()})
    if not ready:
        _save(namespace, status=NamespaceStatus.PROVISIONING, desired_hash=digest)
    versions = {} if created else dict(provisioning.applied_versions or {})
    for obj in to_apply:
        applied = apply_object(gateway, obj)
        versions[object_key(obj)] = applied["metadata"].get("resourceVersion", "")
        uids[object_key(obj)] = _uid(applied)
    pruned = _prune(gateway, stale, uids)
    _workloads_settle(namespace, gateway, suspended=spec.suspended)
    _save(
        namespace,
        status=NamespaceStatus.READY,
        desired_hash=digest,
        applied_hash=digest,
        applied_versions={key: versions.get(key, "") for key in hashes},
        applied_objects={key: {"hash": hashes[key], "uid": uids.get(key, "")} for key in hashes},
        last_error="",
        last_reconciled_at=now,
        conditions=[
            _condition("ClusterBootstrapped", True, "Applied"),
            _condition(
                "ObjectsApplied",
                True,
                "Applied",
                f"{len(to_apply)} of {len(objects)} objects applied, {len(pruned)} pruned",
            ),
        ],
    )
    return Outcome.APPLIED, created and first


def _workloads_settle(namespace: Namespace, gateway: KubeGateway, *, suspended: bool) -> None:
    """Once the zero-pod quota is applied (or pruned): the tenant's workloads follow it. Run on
    every reconcile of a suspended namespace, so a workload scaled up meanwhile goes back to zero."""
    if suspended:
        workloads_suspend(namespace=namespace, gateway=gateway)
    elif has_suspended_workloads(namespace):
        workloads_resume(namespace=namespace, gateway=gateway)


def _record_routes(namespace: Namespace, gateway: KubeGateway) -> None:
    """Read what the namespace's Ingresses and Gateway API routes serve into the console's
    record of claims, which the other namespaces' admission policies are told about."""
    served = gateway.served_resources(GATEWAY_API)
    claims = []
    for api_version, kind, plural in ROUTE_KINDS:
        if api_version == GATEWAY_API and plural not in served:
            continue
        for obj in gateway.list(api_version, kind, namespace.name):
            claims += route_claims(obj)
    route_claims_record(namespace=namespace, claims=claims, now=timezone.now())


def _terminate(namespace: Namespace, gateway: KubeGateway) -> Outcome:
    """Delete the namespace on the cluster and wait a little for the API server to finish.

    Only a namespace this console created is deleted, and only that very object (a UID
    precondition). A namespace of that name the console does not own is left alone: the
    record is closed without touching the cluster.
    """
    platform = platform_settings_from_django(settings)
    live = gateway.get("v1", "Namespace", namespace.name)
    if live is not None and foreign_reason(
        live, platform, namespace_id=namespace.pk, uid=provisioning_of(namespace).cluster_uid
    ):
        logger.warning("namespace %s on the cluster is not this console's; not deleting it", namespace.name)
        return _closed(namespace)
    if live is None:
        return _closed(namespace)
    uid = provisioning_of(namespace).cluster_uid or live["metadata"].get("uid", "")
    try:
        gateway.delete("v1", "Namespace", namespace.name, uid=uid)
    except ConflictError:  # replaced by someone else since the read: not ours any more
        return _closed(namespace)
    interval, checks = TERMINATION_POLL
    for _ in range(checks):
        current = gateway.get("v1", "Namespace", namespace.name)
        if current is None or current["metadata"].get("uid") != uid:
            return _closed(namespace)
        time.sleep(interval)
    return Outcome.TERMINATING


def _closed(namespace: Namespace) -> Outcome:
    now = timezone.now()
    _save(namespace, status=NamespaceStatus.DELETED, deleted_at=now, last_reconciled_at=now, applied_hash="")
    return Outcome.DELETED


def _record_failure(namespace: Namespace, exc: KubeError) -> None:
    message = str(exc) or exc.__class__.__name__
    logger.warning("namespace %s failed to provision: %s", namespace.name, message)
    status = namespace.status if namespace.status == NamespaceStatus.TERMINATING else NamespaceStatus.ERROR
    _save(
        namespace,
        status=status,
        last_error=message,
        last_reconciled_at=timezone.now(),
        conditions=[_condition("ObjectsApplied", False, getattr(exc, "reason", "") or "Failed", message)],
    )


def namespace_provision_failed(*, namespace_id: int, message: str) -> None:
    """The last retry of a transient failure gave up: show the error and offer a retry."""
    namespace = Namespace.objects.select_related("provisioning").get(pk=namespace_id)
    _record_failure(namespace, KubeError(message))


@transaction.atomic
def namespace_retry_provisioning(*, actor, namespace: Namespace) -> None:
    _save(namespace, status=NamespaceStatus.PENDING, last_error="")
    audit_record(actor=actor, action="namespace.provisioning_retried", target=namespace)
    namespace_changed(namespace)


def namespace_name_on_cluster(*, name: str, cluster: Cluster) -> bool | None:
    """Whether a namespace ``name`` exists on the target cluster right now; None when the
    cluster cannot say (not configured or unreachable). Provisioning still refuses to adopt
    a foreign namespace, so an unknown answer here is never a takeover."""
    try:
        gateway = gateway_for_cluster(cluster)
        return gateway.get("v1", "Namespace", name) is not None
    except KubeError as exc:
        logger.info("could not check namespace %s on the cluster: %s", name, exc)
        return None


def namespaces_due_for_reconcile(*, now, interval: timedelta, limit: int) -> list[int]:
    """Namespaces not reconciled within ``interval``, oldest first, at most ``limit``."""
    due = Q(provisioning__last_reconciled_at__isnull=True) | Q(
        provisioning__last_reconciled_at__lt=now - interval
    )
    return list(
        Namespace.objects.live()
        .filter(due)
        .order_by("provisioning__last_reconciled_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
