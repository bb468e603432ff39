"""Runtime policy and catalog changes, and keeping each namespace's selection current."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from metering.models import (
    ClusterRuntime,
    ClusterState,
    Isolation,
    NamespaceRuntime,
    NamespaceRuntimePolicy,
    RuntimeClassProfile,
)
from metering.runtime_selection import (
    Selection,
    namespace_runtime,
    required_isolation,
    runtime_policy_of,
    select_runtime,
)
from tenants import permissions
from tenants.models import Namespace, NamespaceStatus
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed, runtime_inputs_changed_on_commit

PROFILE_FIELDS = (
    "handler",
    "isolation",
    "supports_gpu",
    "gpu_note",
    "overhead_cpu",
    "overhead_memory",
    "price_multiplier",
    "enabled",
    "description",
)


def _record(namespace: Namespace, selection: Selection) -> bool:
    """Store the selection; True when it differs from what was stored before."""
    values = {
        "chosen": selection.chosen or "",
        "allowed": list(selection.allowed),
        "refusal": selection.refusal,
    }
    current = NamespaceRuntime.objects.filter(namespace=namespace).first()
    if current is not None and all(getattr(current, k) == v for k, v in values.items()):
        return False
    NamespaceRuntime.objects.update_or_create(namespace=namespace, defaults=values)
    return True


@transaction.atomic
def namespace_runtime_policy_set(
    *, actor, namespace: Namespace, min_isolation: str, needs_gpu: bool
) -> Selection:
    """Change what a namespace needs; refused with the reason when no runtime would fit."""
    if not permissions.has_namespace_perm(actor, permissions.ADMIN_NAMESPACE, namespace):
        raise PermissionDenied(_("Only namespace admins change the runtime policy."))
    if min_isolation and min_isolation not in Isolation.values:
        raise ValidationError(
            {
                "min_isolation": _("Unknown isolation level '%(min_isolation)s'.")
                % {"min_isolation": min_isolation}
            }
        )
    namespace = (
        Namespace.objects.select_for_update(of=("self",))
        .select_related("team", "cluster")
        .get(pk=namespace.pk)
    )
    selection = namespace_runtime(namespace, min_isolation=min_isolation, needs_gpu=needs_gpu)
    if not selection.ok:
        raise ValidationError({"min_isolation": f"{selection.refusal} {selection.install_hint}"})
    policy = runtime_policy_of(namespace)
    before = {"min_isolation": policy.min_isolation, "needs_gpu": policy.needs_gpu}
    NamespaceRuntimePolicy.objects.update_or_create(
        namespace=namespace, defaults={"min_isolation": min_isolation, "needs_gpu": needs_gpu}
    )
    _record(namespace, selection)
    audit_record(
        actor=actor,
        action="namespace.runtime_policy_changed",
        target=namespace,
        data={
            "from": before,
            "to": {"min_isolation": min_isolation, "needs_gpu": needs_gpu},
            "chosen": selection.chosen,
        },
    )
    namespace_changed(namespace)
    return selection


@transaction.atomic
def runtime_profile_update(*, actor, profile: RuntimeClassProfile, **changes) -> RuntimeClassProfile:
    """Staff edit a catalog entry; namespaces whose selection changes are re-applied after commit."""
    if not permissions.is_staff(actor):
        raise PermissionDenied(_("Only cluster admins edit the runtime catalog."))
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(join)s.") % {"join": ", ".join(sorted(unknown))})
    profile = RuntimeClassProfile.objects.select_for_update().get(pk=profile.pk)
    before = {k: str(getattr(profile, k)) for k in changes}
    for key, value in changes.items():
        setattr(profile, key, value)
    profile.full_clean()
    profile.save()
    audit_record(
        actor=actor,
        action="runtime_catalog.changed",
        target=profile,
        team=None,
        data={"from": before, "to": {k: str(v) for k, v in changes.items()}},
    )
    runtime_inputs_changed_on_commit()
    return profile


@transaction.atomic
def namespace_runtimes_refresh() -> int:
    """Recompute every live namespace's selection; re-apply only those that changed.

    Loads the catalog and each cluster's RuntimeClasses once, so it costs a fixed number of
    queries plus one write per changed namespace.
    """
    catalog = list(RuntimeClassProfile.objects.all())
    available: dict[int, set[str] | None] = {}
    for state in ClusterState.objects.all():
        available[state.cluster_id] = None if state.discovered_at is None else set()
    for cluster_id, name in ClusterRuntime.objects.values_list("state__cluster_id", "name"):
        names = available.get(cluster_id)
        if names is not None:
            names.add(name)
    stored = {r.namespace_id: r for r in NamespaceRuntime.objects.all()}
    changed = 0
    namespaces = Namespace.objects.exclude(status__in=[NamespaceStatus.DELETED, NamespaceStatus.TERMINATING])
    for namespace in namespaces.select_related("team", "cluster", "runtime_policy"):
        policy = runtime_policy_of(namespace)
        isolation, source = required_isolation(
            namespace_min=policy.min_isolation, trust_level=namespace.team.trust_level
        )
        selection = select_runtime(
            required_isolation=isolation,
            requirement_source=source,
            needs_gpu=policy.needs_gpu,
            catalog=catalog,
            available=available.get(namespace.cluster_id),
            cluster_name=namespace.cluster.name,
        )
        current = stored.get(namespace.pk)
        if current is not None and (current.chosen, current.allowed, current.refusal) == (
            selection.chosen or "",
            list(selection.allowed),
            selection.refusal,
        ):
            continue
        _record(namespace, selection)
        namespace_changed(namespace)
        changed += 1
    return changed
