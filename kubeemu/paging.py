"""List chunking (``limit`` and ``continue``) as the API server does it: objects in etcd key
order (``<namespace>/<name>``, see ``store.key_order``), a page of at most ``limit``, and an opaque token naming where the
next page starts. A malformed token is a 400, as on a real server."""

import base64
import binascii
import json
from typing import Any

from kubeemu import errors

MAX_LIMIT = 10_000


Key = tuple[str, str]


def key(obj: dict[str, Any]) -> Key:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def token(revision: str, start: Key) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(revision), "start": start})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def parse(limit: str | None, continue_token: str | None) -> tuple[Key, int]:
    """``(first key to return, page size)``; page size 0 means everything."""
    try:
        size = int(limit or 0)
    except ValueError:
        raise errors.bad_request(f"limit: Invalid value: {limit!r}: must be an integer") from None
    size = max(0, min(size, MAX_LIMIT))
    if not continue_token:
        return ("", ""), size
    try:
        decoded = json.loads(base64.urlsafe_b64decode(continue_token.encode()))
        start = decoded["start"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise errors.bad_request("continue key is not valid: the format is not recognized") from None
    if not (isinstance(start, list) and len(start) == 2 and all(isinstance(p, str) for p in start)):
        raise errors.bad_request("continue key is not valid: the format is not recognized")
    return (start[0], start[1]), size
