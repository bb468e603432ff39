"""The verbs on stored objects: get, list, create, update, apply, merge patch, delete, plus the
status, scale and token subresources. Every write goes through ``_write``: namespace lifecycle,
defaults, schema validation, admission, then the store."""

import copy
import uuid
from collections.abc import Callable
from typing import Any

from kubeemu import admission, controllers, errors, paging, tokens, validation
from kubeemu.merge import merge_patch
from kubeemu.registry import ResourceType, resource_of
from kubeemu.selectors import parse_field_selector, parse_label_selector
from kubeemu.store import BUILTIN_NAMESPACES, Store

# A last check of the object about to be stored, by the request's author (RBAC escalation).
Admit = Callable[[dict[str, Any]], None]

MIN_TOKEN_SECONDS = 600
DEFAULT_TOKEN_SECONDS = 3600
_SERVER_FIELDS = ("metadata", "status", "apiVersion", "kind")


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in _SERVER_FIELDS}


def _non_negative(query: dict[str, str], name: str) -> int | None:
    if name not in query:
        return None
    try:
        value = int(query[name])
    except ValueError:
        value = -1
    if value < 0 or (name == "limitBytes" and value == 0):
        raise errors.bad_request(f"{name}: Invalid value: {query[name]!r}: must be greater than 0")
    return value


class ObjectApi:
    def __init__(self, store: Store):
        self.store = store

    # --- reads --------------------------------------------------------------------------------
    def _existing(self, resource: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(resource, namespace, name)
        if obj is None:
            raise errors.not_found(resource, name)
        return obj

    def get(self, resource: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        return copy.deepcopy(self._existing(resource, namespace, name))

    def list(
        self,
        resource: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        limit_text: str | None = None,
        continue_token: str | None = None,
    ) -> dict[str, Any]:
        """List in key order (``store.key_order``); with ``limit``, a page and a ``continue`` token for the rest."""
        try:
            labels_match = parse_label_selector(label_selector)
            fields_match = parse_field_selector(field_selector)
        except ValueError as error:
            raise errors.bad_request(str(error)) from error
        start, limit = paging.parse(limit_text, continue_token)
        with self.store.lock:
            page, following = self.store.page(
                resource,
                namespace,
                start,
                limit,
                lambda obj: labels_match(obj["metadata"].get("labels") or {}) and fields_match(obj),
            )
            revision = self.store.revision
            items = [copy.deepcopy(obj) for obj in page]
            metadata: dict[str, Any] = {"resourceVersion": revision}
            if following is not None:
                metadata["continue"] = paging.token(revision, following)
                if not label_selector and not field_selector:  # as the API server: only unfiltered
                    metadata["remainingItemCount"] = self.store.count_from(resource, namespace, following)
        return {
            "kind": f"{resource.kind}List",
            "apiVersion": resource.api_version,
            "metadata": metadata,
            "items": items,
        }

    # --- writes -------------------------------------------------------------------------------
    def _check_body(self, resource: ResourceType, namespace: str, body: Any, name: str | None = None) -> None:
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON or YAML object")
        body.setdefault("apiVersion", resource.api_version)
        body.setdefault("kind", resource.kind)
        if (body["apiVersion"], body["kind"]) != (resource.api_version, resource.kind):
            raise errors.bad_request(
                f"the API version in the data ({body['apiVersion']}) does not match the expected API version "
                f"({resource.api_version}) or kind {body['kind']} is not {resource.kind}"
            )
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if resource.namespaced:
            if meta.setdefault("namespace", namespace) != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
        else:
            meta.pop("namespace", None)
        if name is not None and meta.setdefault("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )

    def _check_namespace(self, resource: ResourceType, obj: dict[str, Any]) -> None:
        """NamespaceLifecycle admission: new content needs an existing, active namespace."""
        if not resource.namespaced:
            return
        namespace = obj["metadata"]["namespace"]
        namespaces = resource_of("", "namespaces")
        if self.store.get(namespaces, "", namespace) is None:
            raise errors.not_found(namespaces, namespace)
        if self.store.is_terminating(namespace):
            why = f"unable to create new content in namespace {namespace} because it is being terminated"
            raise errors.forbidden(resource, obj["metadata"].get("name", ""), why)

    def _write(
        self,
        resource: ResourceType,
        new: dict[str, Any],
        old: dict[str, Any] | None,
        *,
        manager: str | None,
        operation: str,
        dry_run: bool,
        admit: Admit | None = None,
    ) -> dict[str, Any]:
        meta = new["metadata"]
        if old is None:
            self._check_namespace(resource, new)
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=self.store.timestamp(), generation=1)
        else:
            old_meta = old["metadata"]
            for field in ("uid", "creationTimestamp", "deletionTimestamp"):
                if field in old_meta:
                    meta[field] = old_meta[field]
                else:
                    meta.pop(field, None)
            changed = _content(new) != _content(old)
            meta["generation"] = old_meta.get("generation", 1) + (1 if changed else 0)
            meta["managedFields"] = copy.deepcopy(old_meta.get("managedFields") or [])
        if manager:
            entries = [e for e in meta.get("managedFields") or [] if e.get("manager") != manager]
            entries.append(
                {
                    "manager": manager,
                    "operation": operation,
                    "apiVersion": resource.api_version,
                    "time": self.store.timestamp(),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {},
                }
            )
            meta["managedFields"] = entries
        meta["resourceVersion"] = self.store.revision if dry_run else self.store.next_revision()
        controllers.prepare(resource, new, old, self.store)
        validation.validate(resource, new)
        if resource.kind == "Pod" and old is None:
            admission.check_pod_security(self.store, resource, new)
        admission.check_external_ips(resource, new, old)
        if resource.namespaced:
            admission.check_quota(self.store, resource, new, old)
        if admit is not None:
            admit(new)
        if not dry_run:
            self.store.put(resource, new)
            if old is None:
                controllers.after_create(resource, new, self.store)
        return copy.deepcopy(new)

    def _check_version(self, resource: ResourceType, body: dict[str, Any], old: dict[str, Any]) -> None:
        wanted = body["metadata"].get("resourceVersion")
        if wanted and wanted != old["metadata"]["resourceVersion"]:
            raise errors.conflict(resource, old["metadata"]["name"])

    def create(
        self,
        resource: ResourceType,
        namespace: str,
        body: Any,
        *,
        manager: str | None,
        dry_run: bool,
        admit: Admit | None = None,
    ) -> dict[str, Any]:
        self._check_body(resource, namespace, body)
        meta = body["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if not meta.get("name"):
            raise errors.invalid(
                resource, "", [("metadata.name", "Required value: name or generateName is required")]
            )
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        if resource.kind != "Node":  # nodes report their own status; everything else starts empty
            body.pop("status", None)
        with self.store.lock:
            if self.store.get(resource, namespace, meta["name"]) is not None:
                raise errors.already_exists(resource, meta["name"])
            return self._write(
                resource, body, None, manager=manager, operation="Update", dry_run=dry_run, admit=admit
            )

    def update(
        self,
        resource: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str | None,
        dry_run: bool,
        admit: Admit | None = None,
    ) -> dict[str, Any]:
        self._check_body(resource, namespace, body, name)
        with self.store.lock:
            old = self._existing(resource, namespace, name)
            self._check_version(resource, body, old)
            if resource.has_status:
                body.pop("status", None)
                if "status" in old:
                    body["status"] = copy.deepcopy(old["status"])
            return self._write(
                resource, body, old, manager=manager, operation="Update", dry_run=dry_run, admit=admit
            )

    def apply(
        self,
        resource: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str,
        dry_run: bool,
        admit: Admit | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Server-side apply, simplified: the applied fields replace the stored ones; status is kept."""
        self._check_body(resource, namespace, body, name)
        with self.store.lock:
            old = self.store.get(resource, namespace, name)
            if old is None:
                body.pop("status", None)
                body["metadata"].pop("resourceVersion", None)
                return 201, self._write(
                    resource, body, None, manager=manager, operation="Apply", dry_run=dry_run, admit=admit
                )
            self._check_version(resource, body, old)
            new = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("metadata", "status")}
            meta = {k: v for k, v in copy.deepcopy(old["metadata"]).items()}
            for field in ("labels", "annotations", "ownerReferences", "finalizers"):
                meta.pop(field, None)
                if field in body["metadata"]:
                    meta[field] = body["metadata"][field]
            new["metadata"] = meta
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            return 200, self._write(
                resource, new, old, manager=manager, operation="Apply", dry_run=dry_run, admit=admit
            )

    def merge(
        self,
        resource: ResourceType,
        namespace: str,
        name: str,
        patch: Any,
        *,
        manager: str | None,
        dry_run: bool,
        status_only: bool = False,
        admit: Admit | None = None,
    ) -> dict[str, Any]:
        if not isinstance(patch, dict):
            raise errors.bad_request("a merge patch must be a JSON object")
        with self.store.lock:
            old = self._existing(resource, namespace, name)
            merged = merge_patch(copy.deepcopy(old), patch)
            self._check_body(resource, namespace, merged, name)
            if status_only:
                new = copy.deepcopy(old)
                new["status"] = merged.get("status") or {}
            else:
                new = merged
                if resource.has_status:
                    new["status"] = copy.deepcopy(old.get("status") or {})
            wanted = (patch.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != old["metadata"]["resourceVersion"]:
                raise errors.conflict(resource, name)
            return self._write(
                resource, new, old, manager=manager, operation="Update", dry_run=dry_run, admit=admit
            )

    def update_status(
        self, resource: ResourceType, namespace: str, name: str, body: Any, *, dry_run: bool
    ) -> dict[str, Any]:
        self._check_body(resource, namespace, body, name)
        with self.store.lock:
            old = self._existing(resource, namespace, name)
            self._check_version(resource, body, old)
            new = copy.deepcopy(old)
            new["status"] = body.get("status") or {}
            return self._write(resource, new, old, manager=None, operation="Update", dry_run=dry_run)

    def delete(
        self, resource: ResourceType, namespace: str, name: str, options: Any = None
    ) -> dict[str, Any]:
        """Delete, honouring ``DeleteOptions.preconditions`` (uid, resourceVersion) as the API server does."""
        preconditions = (options or {}).get("preconditions") or {} if isinstance(options, dict) else {}
        with self.store.lock:
            old = self._existing(resource, namespace, name)
            for field in ("uid", "resourceVersion"):
                wanted, actual = preconditions.get(field), old["metadata"].get(field)
                if wanted and wanted != actual:
                    raise errors.precondition_failed(resource, name, field, wanted, actual)
            if resource.kind != "Namespace":
                self.store.remove(resource, namespace, name)
                return copy.deepcopy(old)
            if name in BUILTIN_NAMESPACES[:3]:
                raise errors.forbidden(resource, name, "this namespace may not be deleted")
            self.store.terminate_namespace(name)
            old["metadata"].setdefault("deletionTimestamp", self.store.timestamp())
            old["metadata"]["resourceVersion"] = self.store.next_revision()
            old["status"] = {"phase": "Terminating"}
            return copy.deepcopy(old)

    # --- subresources -------------------------------------------------------------------------
    def pod_log(self, namespace: str, name: str, query: dict[str, str]) -> str:
        """``pods/log`` as the kubelet answers it: one container's lines, tailed and capped."""
        pods = resource_of("", "pods")
        with self.store.lock:
            pod = self._existing(pods, namespace, name)
            containers = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
            container = query.get("container") or ""
            if not container:
                if len(containers) != 1:
                    choices = " ".join(containers)
                    raise errors.bad_request(
                        f"a container name must be specified for pod {name}, choose one of: [{choices}]"
                    )
                container = containers[0]
            if container not in containers:
                raise errors.bad_request(f"container {container} is not valid for pod {name}")
            if (pod.get("status") or {}).get("phase", "Pending") == "Pending":
                raise errors.bad_request(
                    f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
                )
            lines = list(self.store.logs.get((namespace, name, container), []))
        tail = _non_negative(query, "tailLines")
        if tail is not None:
            lines = lines[-tail:] if tail else []
        stamped = query.get("timestamps") in ("1", "true")
        text = "".join(f"{moment} {line}\n" if stamped else f"{line}\n" for moment, line in lines)
        limit = _non_negative(query, "limitBytes")
        if limit is not None:
            text = text.encode()[:limit].decode(errors="ignore")
        return text

    def get_scale(self, resource: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self._existing(resource, namespace, name)
        meta = obj["metadata"]
        match_labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            },
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": ",".join(f"{k}={v}" for k, v in sorted(match_labels.items())),
            },
        }

    def set_scale(
        self, resource: ResourceType, namespace: str, name: str, scale: Any, *, merge: bool, dry_run: bool
    ) -> dict[str, Any]:
        with self.store.lock:
            current = self.get_scale(resource, namespace, name)
            if not isinstance(scale, dict):
                raise errors.bad_request("the request body must be a Scale object")
            wanted = merge_patch(current, scale) if merge else scale
            replicas = (wanted.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                message = f"Invalid value: {replicas!r}: must be greater than or equal to 0"
                raise errors.invalid(resource, name, [("spec.replicas", message)])
            version = (wanted.get("metadata") or {}).get("resourceVersion")
            if not merge and version and version != current["metadata"]["resourceVersion"]:
                raise errors.conflict(resource, name)
            old = self._existing(resource, namespace, name)
            new = copy.deepcopy(old)
            new["spec"]["replicas"] = replicas
            self._write(resource, new, old, manager=None, operation="Update", dry_run=dry_run)
            return current if dry_run else self.get_scale(resource, namespace, name)

    def request_token(self, namespace: str, name: str, body: Any) -> dict[str, Any]:
        accounts = resource_of("", "serviceaccounts")
        spec = (body.get("spec") if isinstance(body, dict) else None) or {}
        seconds = spec.get("expirationSeconds") or DEFAULT_TOKEN_SECONDS
        audiences = spec.get("audiences") or [tokens.API_AUDIENCE]
        with self.store.lock:
            account = self._existing(accounts, namespace, name)
            if not isinstance(seconds, int) or seconds < MIN_TOKEN_SECONDS:
                message = f"Invalid value: {seconds!r}: may not specify a duration less than 10 minutes"
                subject = f'TokenRequest.authentication.k8s.io "{name}"'
                raise errors.ApiError(
                    422, "Invalid", f"{subject} is invalid: spec.expirationSeconds: {message}"
                )
            token, expires = tokens.issue(self.store, self.store.signing_key, account, seconds, audiences)
        return {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": self.store.timestamp()},
            "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": None},
            "status": {"token": token, "expirationTimestamp": expires},
        }
