"""Kubernetes ``Status`` failures raised inside the emulator and rendered by the HTTP handler."""

from typing import Any

from kubeemu.registry import ResourceType


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(resource: ResourceType, name: str) -> dict[str, Any]:
    return {"name": name, "group": resource.group, "kind": resource.plural}


def not_found(resource: ResourceType, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{resource.display} "{name}" not found', details=_details(resource, name)
    )


def already_exists(resource: ResourceType, name: str) -> ApiError:
    message = f'{resource.display} "{name}" already exists'
    return ApiError(409, "AlreadyExists", message, details=_details(resource, name))


def conflict(resource: ResourceType, name: str) -> ApiError:
    message = (
        f'Operation cannot be fulfilled on {resource.display} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return ApiError(409, "Conflict", message, details=_details(resource, name))


def precondition_failed(resource: ResourceType, name: str, field: str, wanted: str, actual: str) -> ApiError:
    label = "UID" if field == "uid" else "ResourceVersion"
    message = (
        f'Operation cannot be fulfilled on {resource.display} "{name}": Precondition failed: '
        f"{label} in precondition: {wanted}, {label} in object meta: {actual}"
    )
    return ApiError(409, "Conflict", message, details=_details(resource, name))


def forbidden(resource: ResourceType, name: str, why: str) -> ApiError:
    subject = f'{resource.display} "{name}"' if name else resource.display
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {why}", details=_details(resource, name))


def invalid(resource: ResourceType, name: str, causes: list[tuple[str, str]]) -> ApiError:
    summary = ", ".join(f"{field}: {message}" if field else message for field, message in causes)
    details = {
        "name": name,
        "group": resource.group,
        "kind": resource.kind,
        "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes],
    }
    return ApiError(422, "Invalid", f'{resource.kind} "{name}" is invalid: {summary}', details=details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def path_not_found(path: str) -> ApiError:
    return ApiError(404, "NotFound", f'the server could not find the requested resource ("{path}")')


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415, "UnsupportedMediaType", f'the body of the request was in an unknown format: "{content_type}"'
    )
