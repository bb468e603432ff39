"""Bound ServiceAccount tokens (TokenRequest): HMAC-signed JWTs tied to the ServiceAccount's uid.

A token authenticates only while it is unexpired, carries the API server's audience and its
ServiceAccount still exists with the same uid, so deleting or recreating the ServiceAccount
revokes every token issued for it.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from kubeemu.rbac import User, service_account_user
from kubeemu.registry import resource_of
from kubeemu.store import Store, format_time

API_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
ISSUER = "https://kubernetes.default.svc.cluster.local"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue(
    store: Store, key: bytes, service_account: dict[str, Any], seconds: int, audiences: list[str]
) -> tuple[str, str]:
    """Return ``(token, expirationTimestamp)`` for the ServiceAccount object."""
    now = store.now()
    expires = now + timedelta(seconds=seconds)
    meta = service_account["metadata"]
    claims = {
        "iss": ISSUER,
        "aud": audiences,
        "sub": f"system:serviceaccount:{meta['namespace']}:{meta['name']}",
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "kubernetes.io": {
            "namespace": meta["namespace"],
            "serviceaccount": {"name": meta["name"], "uid": meta["uid"]},
        },
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = f"{header}.{_b64(json.dumps(claims).encode())}"
    return f"{payload}.{_sign(key, payload)}", format_time(expires)


def authenticate(store: Store, key: bytes, token: str) -> User | None:
    """The ServiceAccount user a token stands for, or None when it is forged, expired or revoked."""
    try:
        header, body, signature = token.split(".")
        if not hmac.compare_digest(signature, _sign(key, f"{header}.{body}")):
            return None
        claims = json.loads(_unb64(body))
    except ValueError:
        return None
    if claims.get("exp", 0) <= store.now().timestamp() or API_AUDIENCE not in claims.get("aud", []):
        return None
    bound = claims.get("kubernetes.io", {})
    namespace, account = bound.get("namespace", ""), bound.get("serviceaccount", {})
    current = store.get(resource_of("", "serviceaccounts"), namespace, account.get("name", ""))
    if current is None or current["metadata"].get("uid") != account.get("uid"):
        return None
    return service_account_user(namespace, account["name"])
