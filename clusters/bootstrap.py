"""The once-per-cluster objects every tenant namespace relies on, applied and healed.

Each namespace's reconcile makes sure the cluster was bootstrapped with the current objects:
a hash compare, no call to the cluster. The periodic check (``cluster_bootstrap_check``,
from the beat and from the staff "re-check" button) reads every bootstrap object and re-applies
those that are missing or changed, so a deleted admission policy or a reset cluster comes back
without anyone noticing first; when nothing drifted, it only reads.

Ownership first: an object is re-applied only when it is gone or carries this console's marks.
One someone else made under one of the console's names is left alone and reported.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.connections import gateway_for_cluster
from clusters.kube.errors import InvalidError, KubeError, PermanentKubeError
from clusters.kube.gateway import KubeGateway
from clusters.kube.manifests import (
    always_pull_images_objects,
    bootstrap_objects,
    desired_hash,
    mutating_runtime_policy_objects,
    pod_bandwidth_defaults_objects,
)
from clusters.kube.ownership import bootstrap_foreign_reason
from clusters.kube.spec import PlatformSettings, platform_settings_from_django
from clusters.models import Cluster
from clusters.services import email_staff
from tenants.models import Namespace
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed

logger = logging.getLogger(__name__)


class ForeignBootstrapObject(PermanentKubeError):
    """An object under one of the bootstrap's names exists and the console did not make it."""

    def __init__(self, message: str):
        super().__init__(message, reason="NameTaken")


def object_key(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"


def contains(desired, live) -> bool:
    """Whether ``live`` holds everything ``desired`` says (the server may add defaults)."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(k in live and contains(v, live[k]) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(live, list) and len(desired) == len(live) and all(map(contains, desired, live))
    return desired == live


def apply_object(gateway: KubeGateway, obj: dict) -> dict:
    try:
        return gateway.apply(obj)
    except InvalidError:
        # A RoleBinding's roleRef is immutable: a role change means delete and recreate.
        if obj["kind"] != "RoleBinding":
            raise
        meta = obj["metadata"]
        gateway.delete(obj["apiVersion"], obj["kind"], meta["name"], meta["namespace"])
        return gateway.apply(obj)


def cluster_bootstrap_objects(
    gateway: KubeGateway, platform: PlatformSettings, *, mutating: bool | None = None
) -> list[dict]:
    """What this cluster should hold, in apply order. ``mutating``: whether the cluster serves
    MutatingAdmissionPolicy, asked of the cluster (one discovery call) when not given."""
    objects = bootstrap_objects(platform)
    if mutating is None:
        mutating = gateway.has_resource("admissionregistration.k8s.io/v1beta1", "mutatingadmissionpolicies")
    if mutating:
        # Where the cluster serves MutatingAdmissionPolicy: default runtime class, image pulls
        # forced to Always (MTB-PL1-CC-DI-1) without the AlwaysPullImages plugin, and the
        # plan's bandwidth caps on pods that state none.
        objects += (
            mutating_runtime_policy_objects(platform)
            + always_pull_images_objects(platform)
            + pod_bandwidth_defaults_objects(platform)
        )
    return objects


def cluster_bootstrap(
    *, cluster: Cluster, gateway: KubeGateway, platform: PlatformSettings, check: bool
) -> list[str]:
    """Apply the once-per-cluster objects that are missing or differ from what is desired.

    Without ``check`` nothing is read, not even discovery, when the desired objects are those
    last applied (the per-namespace path): whether the cluster serves MutatingAdmissionPolicy is
    taken from the last full bootstrap, and the periodic check asks the cluster again. With
    ``check`` every object is read (the periodic check). Returns the keys of the objects
    written; raises ``ForeignBootstrapObject`` (after writing what it could) when an object
    under a bootstrap name is not the console's.
    """
    if not check and cluster.bootstrap_hash:
        known = cluster_bootstrap_objects(gateway, platform, mutating=cluster.sets_default_runtime_class)
        if desired_hash(known) == cluster.bootstrap_hash:
            return []
    objects = cluster_bootstrap_objects(gateway, platform)
    digest = desired_hash(objects)
    if digest == cluster.bootstrap_hash and not check:
        return []
    versions: dict[str, str] = {}
    written: list[str] = []
    foreign: list[str] = []
    for obj in objects:
        meta, key = obj["metadata"], object_key(obj)
        live = gateway.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if live is not None:
            reason = bootstrap_foreign_reason(live, platform)
            if reason:
                foreign.append(reason)
                continue
            if contains(obj, live):
                versions[key] = live["metadata"].get("resourceVersion", "")
                continue
        versions[key] = apply_object(gateway, obj)["metadata"].get("resourceVersion", "")
        written.append(key)
    # With a foreign object the hash is forgotten, so every namespace's reconcile looks again
    # (and refuses to bind its members to a role the console does not own).
    error = "; ".join(foreign)
    fields = {
        "bootstrap_versions": versions,
        "bootstrap_checked_at": timezone.now(),
        "bootstrap_hash": "" if foreign else digest,
        "bootstrap_error": error,
    }
    # Reachability is left to the connectivity check, which tells staff when it changes.
    fields["server_version"] = gateway.version()
    Cluster.objects.filter(pk=cluster.pk).update(**fields)
    for name, value in fields.items():
        setattr(cluster, name, value)
    if foreign:
        raise ForeignBootstrapObject(error)
    return written


@dataclass
class BootstrapCheck:
    """What one check of a cluster's bootstrap found."""

    restored: list[str] = field(default_factory=list)
    namespaces: int = 0  # how many of its namespaces were sent to be reconciled again
    error: str = ""


def cluster_bootstrap_check(*, cluster: Cluster, actor=None) -> BootstrapCheck:
    """Read every bootstrap object of ``cluster`` and restore what is missing or changed.

    When anything was restored, every live namespace on the cluster is reconciled again (its
    RoleBindings point at the ClusterRoles, and on a reset cluster the namespaces themselves
    are gone). Cluster failures are recorded on the cluster, not raised. ``actor``: the staff
    member who asked (audited); None for the periodic check, audited only when it restored.
    """
    result = BootstrapCheck()
    platform = platform_settings_from_django(settings)
    try:
        result.restored = cluster_bootstrap(
            cluster=cluster, gateway=gateway_for_cluster(cluster), platform=platform, check=True
        )
    except KubeError as exc:
        result.error = str(exc) or exc.__class__.__name__
        logger.warning("bootstrap check of cluster %s failed: %s", cluster.name, result.error)
        Cluster.objects.filter(pk=cluster.pk).update(
            bootstrap_error=result.error, bootstrap_checked_at=timezone.now()
        )
        cluster.bootstrap_error = result.error
    with transaction.atomic():
        if result.restored:
            logger.warning("cluster %s: restored %s", cluster.name, ", ".join(result.restored))
            live = Namespace.objects.live().filter(cluster=cluster).only("pk")
            for namespace in live:
                namespace_changed(namespace)
                result.namespaces += 1
        if result.restored and actor is None:
            # Found by the periodic check: someone or something removed or changed what keeps
            # tenants apart (the protection policy, a ClusterRole); staff should know.
            email_staff(
                subject=lambda: (
                    _("Tenantry: cluster objects restored on %(cluster)s") % {"cluster": cluster.name}
                ),
                lines=lambda: [
                    _(
                        "The periodic check found these once-per-cluster objects missing or changed on "
                        "%(cluster)s and applied them again: %(objects)s."
                    )
                    % {"cluster": cluster.name, "objects": ", ".join(result.restored)},
                    _("%(count)s namespace(s) on the cluster are reconciled again.")
                    % {"count": result.namespaces},
                ],
            )
        if actor is not None or result.restored:
            audit_record(
                actor=actor,
                action="cluster.bootstrap_checked",
                target=cluster,
                data={"restored": result.restored, "namespaces": result.namespaces, "error": result.error},
            )
    return result
