"""The emulator's in-memory object store: objects by resource, a global resourceVersion counter,
the token signing key and the namespaces that are terminating. Every access holds ``lock``."""

import copy
import secrets
import threading
import time
from bisect import bisect_left
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from kubeemu.registry import RESOURCES, ResourceType

# Objects of one resource type, by namespace ("" for cluster-scoped) and then name, so that
# reading one namespace costs the same however many other tenants the cluster holds.
Bucket = dict[str, dict[str, dict[str, Any]]]
BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def key_order(namespace: str) -> str:
    """Where a namespace's objects sit in a list, as etcd keys them (``/registry/<resource>/
    <namespace>/<name>``): by the bytes of ``<namespace>/``, so ``a-b`` comes before ``a`` ('-' is
    below '/') and every namespace's objects are contiguous. Cluster-scoped objects: ""."""
    return namespace + "/" if namespace else ""


# A bucket's namespaces in key order, their ``key_order`` and how many objects come before each.
Order = tuple[list[str], list[str], list[int]]


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
            self._objects: dict[tuple[str, str], Bucket] = {(r.group, r.plural): {} for r in RESOURCES}
            # Each bucket's namespaces in key order with the objects before each, kept until an
            # object is added or removed, so a page of a long list neither sorts nor counts the
            # whole cluster again.
            self._namespace_order: dict[tuple[str, str], Order] = {}
            self._revision = 0
            self.signing_key = secrets.token_bytes(32)
            self._terminating: dict[str, float] = {}
            self.clock_offset = 0.0
            # What each container wrote: (namespace, pod, container) -> [(timestamp, line)].
            self.logs: dict[tuple[str, str, str], list[tuple[str, str]]] = {}

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
            return self._objects[(resource.group, resource.plural)].get(namespace or "", {}).get(name)

    def items(self, resource: ResourceType, namespace: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self.reap()
            bucket = self._objects[(resource.group, resource.plural)]
            if namespace is not None:
                return [obj for _, obj in sorted(bucket.get(namespace, {}).items())]
            return [obj for ns in sorted(bucket, key=key_order) for _, obj in sorted(bucket[ns].items())]

    def _ordered(self, key: tuple[str, str]) -> Order:
        cached = self._namespace_order.get(key)
        if cached is None:
            bucket = self._objects[key]
            namespaces = sorted(bucket, key=key_order)
            counts = accumulate((len(bucket[ns]) for ns in namespaces), initial=0)
            cached = self._namespace_order[key] = (
                namespaces,
                [key_order(ns) for ns in namespaces],
                list(counts),
            )
        return cached

    def page(
        self,
        resource: ResourceType,
        namespace: str | None,
        start: tuple[str, str],
        limit: int,
        match: Callable[[dict[str, Any]], bool],
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """Objects that ``match`` in key order (``key_order`` of the namespace, then name) from
        ``start``: at most ``limit`` (0: all of them), and the key of the next match (None when
        there is none). Reads only up to the next match, whatever the size of the cluster."""
        with self.lock:
            self.reap()
            key = (resource.group, resource.plural)
            bucket = self._objects[key]
            if namespace is not None:
                namespaces = [namespace] if key_order(namespace) >= key_order(start[0]) else []
            else:
                ordered, keys, _ = self._ordered(key)
                namespaces = ordered[bisect_left(keys, key_order(start[0])) :]
            found: list[dict[str, Any]] = []
            for ns in namespaces:
                by_name = bucket.get(ns, {})
                for name in sorted(by_name):
                    if (ns == start[0] and name < start[1]) or not match(by_name[name]):
                        continue
                    if limit and len(found) == limit:
                        return found, (ns, name)
                    found.append(by_name[name])
            return found, None

    def count_from(self, resource: ResourceType, namespace: str | None, start: tuple[str, str]) -> int:
        """How many objects there are from ``start`` on (in one namespace, or all of them)."""
        with self.lock:
            key = (resource.group, resource.plural)
            bucket = self._objects[key]
            if namespace is not None:
                by_name = bucket.get(namespace, {})
                if key_order(namespace) > key_order(start[0]):
                    return len(by_name)
                return sum(name >= start[1] for name in by_name) if namespace == start[0] else 0
            ordered, keys, before = self._ordered(key)
            index = bisect_left(keys, key_order(start[0]))
            if index < len(ordered) and ordered[index] == start[0]:
                in_first = sum(name >= start[1] for name in bucket[ordered[index]])
                return in_first + before[-1] - before[index + 1]
            return before[-1] - before[index]

    def put(self, resource: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        with self.lock:
            namespace = meta.get("namespace", "") if resource.namespaced else ""
            key = (resource.group, resource.plural)
            by_name = self._objects[key].setdefault(namespace, {})
            if meta["name"] not in by_name:
                self._namespace_order.pop(key, None)
            by_name[meta["name"]] = obj

    def remove(self, resource: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            if resource.kind == "Pod":
                for log_key in [k for k in self.logs if k[:2] == (namespace, name)]:
                    del self.logs[log_key]
            key = (resource.group, resource.plural)
            removed = self._objects[key].get(namespace or "", {}).pop(name, None)
            if removed is not None:
                self._namespace_order.pop(key, None)
            return removed

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
                self._namespace_order.clear()
                for (group, plural), bucket in self._objects.items():
                    if group == "" and plural == "namespaces":
                        bucket.get("", {}).pop(name, None)
                    else:
                        bucket.pop(name, None)

    # --- persistence for the standalone server ----------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            objects = [
                {"group": group, "plural": plural, "object": obj}
                for (group, plural), bucket in self._objects.items()
                for by_name in bucket.values()
                for obj in by_name.values()
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
                    bucket.setdefault(meta.get("namespace", ""), {})[meta["name"]] = entry["object"]
