"""Errors raised by the Kubernetes gateway, split by what a caller should do about them.

``TransientKubeError``: retry later (5xx, 429, timeouts, refused or dropped connections).
``PermanentKubeError``: retrying will not help (bad request, auth, validation, other 4xx); it
carries the API server's ``message``, ``reason`` and HTTP ``code`` for the user and the logs.
"""

import json
from typing import Any


class KubeError(Exception):
    def __init__(self, message: str, *, code: int | None = None, reason: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason


class TransientKubeError(KubeError):
    """The cluster could not answer now; the same call may succeed later."""


class PermanentKubeError(KubeError):
    """The cluster refused the call; repeating it unchanged will fail again."""


class NotFoundError(PermanentKubeError):
    pass


class ConflictError(PermanentKubeError):
    """409: the object changed since it was read (Conflict) or already exists (AlreadyExists)."""


class ForbiddenError(PermanentKubeError):
    """403: RBAC denial or an admission rejection (Pod Security, quota, admission policy)."""


class InvalidError(PermanentKubeError):
    """422: the object failed the API server's validation."""


_BY_CODE: dict[int, type[PermanentKubeError]] = {
    404: NotFoundError,
    409: ConflictError,
    403: ForbiddenError,
    422: InvalidError,
}
_TRANSIENT_CODES = {408, 429}


def from_response(code: int, body: str | bytes | None, fallback_reason: str = "") -> KubeError:
    """Build the error for an HTTP failure from its ``Status`` body (or whatever came back)."""
    status: dict[str, Any] = {}
    if body:
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            status = decoded
    message = status.get("message") or (body.decode(errors="replace") if isinstance(body, bytes) else body)
    message = message or fallback_reason or f"HTTP {code}"
    reason = status.get("reason") or fallback_reason
    if code == 0 or code >= 500 or code in _TRANSIENT_CODES:
        return TransientKubeError(message, code=code or None, reason=reason)
    return _BY_CODE.get(code, PermanentKubeError)(message, code=code, reason=reason)
