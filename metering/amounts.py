"""Quota arithmetic shared by services, selectors and the provisioner.

Amounts are dicts in base units: ``{"cpu": millicores, "memory": bytes, ..., "storage_classes":
{name: bytes}}``. ``hard_map`` turns an allocation into a ResourceQuota ``hard`` map.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import limits
from metering import quantities
from metering.quantities import BYTES, COUNT, CPU


@dataclass(frozen=True)
class Resource:
    key: str
    field: str
    kind: str
    label: str
    hard_keys: tuple[str, ...]
    maximum: int  # in base units, from core.limits


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "cpu",
        "cpu_millicores",
        CPU,
        gettext_noop("CPU"),
        ("requests.cpu", "limits.cpu"),
        limits.MAX_CPU_MILLICORES,
    ),
    Resource(
        "memory",
        "memory_bytes",
        BYTES,
        gettext_noop("Memory"),
        ("requests.memory", "limits.memory"),
        limits.MAX_BYTES,
    ),
    Resource(
        "storage", "storage_bytes", BYTES, gettext_noop("Storage"), ("requests.storage",), limits.MAX_BYTES
    ),
    Resource("gpus", "gpus", COUNT, gettext_noop("GPUs"), ("requests.nvidia.com/gpu",), limits.MAX_GPUS),
    Resource("pods", "pods", COUNT, gettext_noop("Pods"), ("pods",), limits.MAX_PODS),
    Resource(
        "pvcs", "pvcs", COUNT, gettext_noop("Volume claims"), ("persistentvolumeclaims",), limits.MAX_PVCS
    ),
    Resource(
        "load_balancers",
        "load_balancers",
        COUNT,
        gettext_noop("Load balancers"),
        ("services.loadbalancers",),
        limits.MAX_LOAD_BALANCERS,
    ),
)
# A StorageClass name: a DNS-1123 subdomain.
STORAGE_CLASS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RESOURCE_BY_KEY = {r.key: r for r in RESOURCES}
STORAGE_CLASS_KEY = "{name}.storageclass.storage.k8s.io/requests.storage"

Amounts = dict


def empty_amounts() -> Amounts:
    return {**{r.key: 0 for r in RESOURCES}, "storage_classes": {}}


def amounts_of(obj) -> Amounts:
    """Amounts held by a TeamQuota, NamespaceQuota or QuotaRequest (or None: all zero)."""
    if obj is None:
        return empty_amounts()
    return {
        **{r.key: int(getattr(obj, r.field)) for r in RESOURCES},
        "storage_classes": {k: int(v) for k, v in (obj.storage_classes or {}).items()},
    }


def apply_amounts(obj, amounts: Amounts) -> None:
    for resource in RESOURCES:
        setattr(obj, resource.field, int(amounts.get(resource.key, 0)))
    obj.storage_classes = {k: int(v) for k, v in amounts.get("storage_classes", {}).items()}


def add(a: Amounts, b: Amounts) -> Amounts:
    classes = dict(a["storage_classes"])
    for name, value in b["storage_classes"].items():
        classes[name] = classes.get(name, 0) + value
    return {**{r.key: a[r.key] + b[r.key] for r in RESOURCES}, "storage_classes": classes}


def subtract(a: Amounts, b: Amounts) -> Amounts:
    negated = {
        **{r.key: -b[r.key] for r in RESOURCES},
        "storage_classes": {k: -v for k, v in b["storage_classes"].items()},
    }
    return add(a, negated)


def shortfall(*, wanted: Amounts, available: Amounts) -> Amounts:
    """How much more than ``available`` ``wanted`` needs, per resource (zero where it fits)."""
    return {
        **{r.key: max(0, wanted[r.key] - available[r.key]) for r in RESOURCES},
        "storage_classes": {
            name: max(0, value - available["storage_classes"].get(name, 0))
            for name, value in wanted["storage_classes"].items()
            if value - available["storage_classes"].get(name, 0) > 0
        },
    }


def is_zero(amounts: Amounts) -> bool:
    return not any(amounts[r.key] for r in RESOURCES) and not any(amounts["storage_classes"].values())


def parse_amounts(raw: Mapping, *, allow_missing: bool = True) -> Amounts:
    """Parse Kubernetes notation into base units; field errors name the offending resource."""
    if not isinstance(raw, Mapping):
        raise ValidationError(
            _(
                'An object of resource amounts, e.g. {"cpu": "500m", "storage_classes": {"standard": "10Gi"}}.'
            ),
            code="invalid",
        )
    errors: dict[str, list[str]] = {}
    result = empty_amounts()
    for resource in RESOURCES:
        value = raw.get(resource.key)
        if value is None or value == "":
            if not allow_missing:
                errors[resource.key] = [_("Required.")]
            continue
        try:
            result[resource.key] = quantities.parse(value, resource.kind)
        except ValidationError as exc:
            errors[resource.key] = exc.messages
    storage_classes = raw.get("storage_classes") or {}
    if not isinstance(storage_classes, Mapping):
        errors["storage_classes"] = ['An object of storage class to amount, e.g. {"standard": "10Gi"}.']
        storage_classes = {}
    for name, value in storage_classes.items():
        if value in (None, ""):
            continue
        try:
            result["storage_classes"][str(name)] = quantities.parse(value, BYTES)
        except ValidationError as exc:
            errors[f"storage_classes.{name}"] = exc.messages
    errors.update(bound_errors(result))
    if errors:
        raise ValidationError(errors)
    return result


def maximum_text(resource: Resource) -> str:
    text = quantities.format_quantity(resource.maximum, resource.kind)
    return _("%(number)s cores") % {"number": text} if resource.kind == CPU else text


def bound_errors(amounts: Amounts) -> dict[str, list[str]]:
    """Field errors for amounts past ``core.limits`` and storage class names that are no
    StorageClass name; the services check the same before they save anything."""
    errors: dict[str, list[str]] = {}
    for resource in RESOURCES:
        if amounts[resource.key] > resource.maximum:
            errors[resource.key] = [f"At most {maximum_text(resource)}."]
    classes = amounts["storage_classes"]
    if len(classes) > limits.MAX_STORAGE_CLASSES:
        errors["storage_classes"] = [f"At most {limits.MAX_STORAGE_CLASSES} storage classes."]
    for name, value in classes.items():
        if len(name) > limits.MAX_STORAGE_CLASS_NAME or not STORAGE_CLASS_NAME.match(name):
            errors[f"storage_classes.{name[:80]}"] = [
                f"'{name[:80]}' is not a StorageClass name (lowercase letters, digits, '-' and '.')."
            ]
        elif value > limits.MAX_BYTES:
            errors[f"storage_classes.{name}"] = [
                f"At most {quantities.format_quantity(limits.MAX_BYTES, BYTES)}."
            ]
    return errors


def check_bounds(amounts: Amounts) -> None:
    """For services: refuse amounts past the limits (what a form or the API would also refuse)."""
    errors = bound_errors(amounts)
    if errors:
        raise ValidationError(errors)


def format_amounts(amounts: Amounts) -> dict:
    """Amounts in Kubernetes notation, the form people type and the API returns."""
    return {
        **{r.key: quantities.format_quantity(amounts[r.key], r.kind) for r in RESOURCES},
        "storage_classes": {
            k: quantities.format_quantity(v, BYTES) for k, v in sorted(amounts["storage_classes"].items())
        },
    }


def plan_defaults(plan: str) -> tuple[Amounts, int, Amounts]:
    """(team quota, max namespaces, default namespace allocation) for a plan."""
    plans = settings.TENANTRY_PLANS
    spec = plans.get(plan) or plans["starter"]
    team = parse_amounts({k: v for k, v in spec.items() if k not in ("namespace_default", "max_namespaces")})
    namespace_default = parse_amounts(spec.get("namespace_default", {}))
    return team, int(spec.get("max_namespaces", 1)), namespace_default


def hard_map(*, allocation: Amounts, allowed_classes: set[str], known_classes: set[str]) -> dict[str, str]:
    """The ResourceQuota ``hard`` for an allocation: allowed storage classes get their share,
    every other known class zero, node ports always zero."""
    hard: dict[str, str] = {}
    for resource in RESOURCES:
        for key in resource.hard_keys:
            hard[key] = quantities.format_quantity(allocation[resource.key], resource.kind)
    for name in sorted(allowed_classes | known_classes):
        share = allocation["storage_classes"].get(name, 0) if name in allowed_classes else 0
        hard[STORAGE_CLASS_KEY.format(name=name)] = quantities.format_quantity(share, BYTES)
    hard["services.nodeports"] = "0"
    return hard
