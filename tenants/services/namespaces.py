"""Namespace lifecycle in the console; the cluster follows through the provisioning workers."""

from django.core.exceptions import ValidationError
from django.db import transaction

from metering.services.quotas import namespace_quota_initialize, namespace_slot_check
from tenants.models import DNS1123_LABEL, Namespace, NamespaceStatus, Team
from tenants.services.audit import audit_record
from tenants.services.provisioning_hooks import namespace_changed
from tenants.services.teams import unique_slug

RESERVED_PREFIXES = ("kube-", "tenantry-", "openshift-")
RESERVED_NAMES = {"default", "kube-system", "kube-public", "kube-node-lease"}


def validate_namespace_name(name: str) -> None:
    if len(name) > 63:
        raise ValidationError({"name": "At most 63 characters."})
    try:
        DNS1123_LABEL(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        raise ValidationError({"name": f"'{name}' is reserved for the cluster itself."})
    if Namespace.objects.live().filter(name=name).exists():
        raise ValidationError({"name": f"A namespace called '{name}' already exists; choose another name."})


@transaction.atomic
def namespace_create(
    *, actor, team: Team, name: str, display_name: str = "", base_name: str = "", cluster=None
) -> Namespace:
    """Create a namespace record and schedule its provisioning.

    With no ``name``, one is derived from ``base_name`` (used for personal namespaces).
    """
    name = name.strip().lower()
    if not name:
        name = unique_slug(
            base_name or team.slug,
            taken=lambda s: Namespace.objects.live().filter(name=s).exists(),
            max_length=63,
        )
    validate_namespace_name(name)
    namespace_slot_check(team=team)
    namespace = Namespace.objects.create(
        team=team, name=name, display_name=display_name.strip(), cluster=cluster, created_by=actor
    )
    audit_record(actor=actor, action="namespace.created", target=namespace, data={"name": name})
    namespace_quota_initialize(actor=actor, namespace=namespace)
    namespace_changed(namespace)
    return namespace


@transaction.atomic
def namespace_update(*, actor, namespace: Namespace, display_name: str) -> Namespace:
    old = namespace.display_name
    namespace.display_name = display_name.strip()
    namespace.save(update_fields=["display_name"])
    audit_record(
        actor=actor,
        action="namespace.renamed",
        target=namespace,
        data={"from": old, "to": namespace.display_name},
    )
    return namespace


@transaction.atomic
def namespace_delete(*, actor, namespace: Namespace) -> Namespace:
    """Mark the namespace terminating; the worker deletes it on the cluster and then the record."""
    namespace = Namespace.objects.select_for_update().get(pk=namespace.pk)
    if namespace.status == NamespaceStatus.TERMINATING:
        return namespace
    namespace.status = NamespaceStatus.TERMINATING
    namespace.save(update_fields=["status"])
    audit_record(actor=actor, action="namespace.deleted", target=namespace, data={"name": namespace.name})
    namespace_changed(namespace)
    return namespace
