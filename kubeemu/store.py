"""The emulator's in-memory object store: objects by resource, a global resourceVersion counter,
the token signing key and the namespaces that are terminating. Every access holds ``lock``."""

import copy
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from kubeemu.registry import RESOURCES, ResourceType

Key = tuple[str, str]  # (namespace or "", name)
BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, *, namespace_deletion_delay: float = 0.2):
        self.lock = threading.RLock()
        self.namespace_deletion_delay = namespace_deletion_delay
        self.clock_offset = 0.0
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self._objects: dict[tuple[str, str], dict[Key, dict[str, Any]]] = {
                (r.group, r.plural): {} for r in RESOURCES
            }
            self._revision = 0
            self.signing_key = secrets.token_bytes(32)
            self._terminating: dict[str, float] = {}
            self.clock_offset = 0.0

    # --- time and versions ------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def timestamp(self) -> str:
        return format_time(self.now())

    def next_revision(self) -> str:
        with self.lock:
            self._revision += 1
            return str(self._revision)

    @property
    def revision(self) -> str:
        return str(self._revision)

    # --- raw access (callers copy before handing objects out) -------------------------------
    def get(self, resource: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            self.reap()
            return self._objects[(resource.group, resource.plural)].get((namespace or "", name))

    def items(self, resource: ResourceType, namespace: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self.reap()
            bucket = self._objects[(resource.group, resource.plural)]
            return [obj for (ns, _), obj in sorted(bucket.items()) if namespace is None or ns == namespace]

    def put(self, resource: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        with self.lock:
            key = (meta.get("namespace", "") if resource.namespaced else "", meta["name"])
            self._objects[(resource.group, resource.plural)][key] = obj

    def remove(self, resource: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self._objects[(resource.group, resource.plural)].pop((namespace or "", name), None)

    # --- namespace lifecycle ----------------------------------------------------------------
    def terminate_namespace(self, name: str) -> None:
        with self.lock:
            self._terminating.setdefault(name, time.monotonic() + self.namespace_deletion_delay)

    def is_terminating(self, name: str) -> bool:
        return name in self._terminating

    def reap(self) -> None:
        """Remove terminating namespaces whose grace period is over, with everything in them."""
        with self.lock:
            now = time.monotonic()
            for name, deadline in list(self._terminating.items()):
                if deadline > now:
                    continue
                del self._terminating[name]
                for (group, plural), bucket in self._objects.items():
                    if group == "" and plural == "namespaces":
                        bucket.pop(("", name), None)
                        continue
                    for key in [k for k in bucket if k[0] == name]:
                        del bucket[key]

    # --- persistence for the standalone server ----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            objects = [
                {"group": group, "plural": plural, "object": obj}
                for (group, plural), bucket in self._objects.items()
                for obj in bucket.values()
            ]
            return copy.deepcopy(
                {"revision": self._revision, "objects": objects, "key": self.signing_key.hex()}
            )

    def restore(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.clear()
            self._revision = int(state.get("revision", 0))
            if state.get("key"):
                self.signing_key = bytes.fromhex(state["key"])
            for entry in state.get("objects", []):
                bucket = self._objects.get((entry["group"], entry["plural"]))
                if bucket is not None:
                    meta = entry["object"]["metadata"]
                    bucket[(meta.get("namespace", ""), meta["name"])] = entry["object"]
