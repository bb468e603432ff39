"""Schema validation of written objects with ``kubernetes_validate`` (strict OpenAPI schemas)."""

import re
from typing import Any

import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError

from kubeemu.errors import invalid
from kubeemu.registry import ResourceType

SCHEMA_VERSION = "1.33"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kinds whose names must be DNS-1123 labels rather than subdomains.
_LABEL_NAMED = {"Namespace", "Service"}


def _field(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _check_name(resource: ResourceType, name: str) -> None:
    if resource.kind in _LABEL_NAMED:
        if len(name) > 63 or not _LABEL.match(name):
            message = (
                f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case '
                "alphanumeric characters or '-', and must start and end with an alphanumeric character"
            )
            raise invalid(resource, name, [("metadata.name", message)])
    elif len(name) > 253 or not _SUBDOMAIN.match(name):
        message = (
            f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        )
        raise invalid(resource, name, [("metadata.name", message)])


def validate(resource: ResourceType, obj: dict[str, Any]) -> None:
    """Raise a 422 ``Invalid`` ApiError when the object does not match its OpenAPI schema."""
    name = obj["metadata"].get("name") or ""
    _check_name(resource, name)
    try:
        kubernetes_validate.validate(obj, SCHEMA_VERSION, strict=True)
    except SchemaNotFoundError:
        # Kinds newer than the emulated release (MutatingAdmissionPolicy v1beta1) use the newest schema.
        try:
            kubernetes_validate.validate(obj, kubernetes_validate.utils.latest_version(), strict=True)
        except kubernetes_validate.ValidationError as error:
            raise invalid(resource, name, [(_field(error.path), error.message)]) from error
    except kubernetes_validate.ValidationError as error:
        raise invalid(resource, name, [(_field(error.path), error.message)]) from error
