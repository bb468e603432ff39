"""Whether a namespace on the cluster is this console's to touch: pure checks on its metadata.

The console only writes into, binds into or deletes a namespace it created itself. It proves
that by marks it sets when it creates the namespace and that tenants cannot forge (the
protection policy refuses label changes on managed objects): the managed-by label, this
console instance's id, and the id of the namespace record. The namespace's UID, recorded at
creation, pins the object itself, so a namespace deleted and recreated by someone else under
the same name (and with copied labels) is not adopted either.
"""

from collections.abc import Mapping
from typing import Any

from clusters.kube.manifests import names
from clusters.kube.spec import PlatformSettings

NAME_TAKEN = "the name is taken on the cluster"


def ownership_labels(platform: PlatformSettings, namespace_id: int) -> dict[str, str]:
    """The marks that say "this console instance made this namespace for record ``namespace_id``"."""
    return {
        names.MANAGED_BY_LABEL: platform.managed_by,
        platform.label(names.LABEL_INSTANCE): platform.instance_id,
        platform.label(names.LABEL_NAMESPACE_ID): str(namespace_id),
    }


def claim_object(platform: PlatformSettings, name: str, namespace_id: int) -> dict[str, Any]:
    """The Namespace as first created: nothing but its name and the ownership marks."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": ownership_labels(platform, namespace_id)},
    }


def foreign_reason(
    live: Mapping[str, Any], platform: PlatformSettings, *, namespace_id: int, uid: str
) -> str | None:
    """Why ``live`` is not ours (a message for the namespace's page), or None when it is.

    ``uid`` is the UID recorded when the console created it; empty for a namespace created
    before UIDs were recorded, which is then judged by its marks alone.
    """
    meta = live.get("metadata") or {}
    labels = meta.get("labels") or {}
    name = meta.get("name", "")
    for key, wanted in ownership_labels(platform, namespace_id).items():
        if labels.get(key) != wanted:
            return (
                f"{NAME_TAKEN}: namespace '{name}' exists and was not created by this console "
                f"for this namespace ({key} is {labels.get(key)!r}, not {wanted!r}); nothing was changed"
            )
    if uid and meta.get("uid") != uid:
        return (
            f"{NAME_TAKEN}: namespace '{name}' was deleted and created again by someone else "
            f"(UID {meta.get('uid')}, the console created {uid}); nothing was changed"
        )
    return None


def bootstrap_foreign_reason(live: Mapping[str, Any], platform: PlatformSettings) -> str | None:
    """Why a live object under one of the bootstrap's names is not this console's, or None.

    The console's once-per-cluster objects carry the managed-by label and this instance's id;
    an object without them (another console instance's, an administrator's) is never written.
    The system namespace is the exception: the operator names it as the console's own
    (``TENANTRY_SYSTEM_NAMESPACE``, the Helm release's namespace) and often creates it first.
    """
    meta = live.get("metadata") or {}
    if live.get("kind") == "Namespace" and meta.get("name") == platform.system_namespace:
        return None
    labels = meta.get("labels") or {}
    for key, wanted in (
        (names.MANAGED_BY_LABEL, platform.managed_by),
        (platform.label(names.LABEL_INSTANCE), platform.instance_id),
    ):
        if labels.get(key) != wanted:
            return (
                f"{live.get('kind', 'object')} '{meta.get('name', '')}' exists and was not created by this "
                f"console ({key} is {labels.get(key)!r}, not {wanted!r}); nothing was changed"
            )
    return None
