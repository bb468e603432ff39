"""Schema validation of written objects against the strict OpenAPI schemas that ship with
``kubernetes_validate``. Validators are built once per kind: ``kubernetes_validate.validate``
re-reads the schema files on every call, which made each write several times slower."""

import functools
import re
from typing import Any

import jsonschema
from kubernetes_validate import utils
from referencing import Registry, Resource

from kubeemu.errors import invalid
from kubeemu.registry import ResourceType

SCHEMA_VERSION = "1.33"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kinds whose names must be DNS-1123 labels rather than subdomains.
_LABEL_NAMED = {"Namespace", "Service"}


def _schema_dir(version: str) -> str:
    full = [v for v in utils.all_versions() if utils.major_minor(v) == utils.major_minor(version)][-1]
    return f"kubernetes-json-schema/v{full}-local-strict"


@functools.cache
def _validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """The validator for a kind; kinds newer than the emulated release use the newest schemas."""
    file_api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    for version in (SCHEMA_VERSION, utils.latest_version()):
        directory = _schema_dir(version)
        try:
            schema = utils.schema_contents(f"{directory}/{kind.lower()}-{file_api_version}.json", version)
        except FileNotFoundError:
            continue
        definitions = utils.schema_contents(f"{directory}/_definitions.json", version)
        registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
        return jsonschema.Draft202012Validator(schema, registry=registry)
    return None


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
    validator = _validator(obj["apiVersion"], obj["kind"])
    if validator is None:
        return
    try:
        validator.validate(obj)
    except jsonschema.ValidationError as error:
        raise invalid(resource, name, [(_field(error.path), error.message)]) from error
