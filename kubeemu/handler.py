"""The HTTP layer: routing Kubernetes REST paths, authentication, RBAC, fault injection and
the ``/_emu/`` control endpoints, rendering every failure as a ``Status`` body."""

import contextlib
import json
import socket
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import yaml

from kubeemu import discovery, errors, rbac, tokens
from kubeemu.controls import REASONS
from kubeemu.merge import without_nulls
from kubeemu.objects import Admit
from kubeemu.registry import RBAC, ResourceType, lookup

if TYPE_CHECKING:
    from kubeemu.server import KubeEmulator

PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}
APPLY = "application/apply-patch+yaml"
MERGE_TYPES = {"application/merge-patch+json", "application/strategic-merge-patch+json"}
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass
class Route:
    resource: ResourceType | None = None  # None: a discovery or other non-resource path
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    verb: str = "discovery"


def route(emulator: "KubeEmulator", method: str, path: str, query: dict[str, str]) -> Route:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Route()
    if not rest:
        return Route()
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        candidate = lookup(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    resource = lookup(group, version, rest[0])
    if resource is None or len(rest) > 3 or resource not in emulator.served():
        raise errors.path_not_found(path)
    if resource.namespaced and not namespace and (len(rest) > 1 or method != "GET"):
        raise errors.path_not_found(path)
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if subresource and subresource not in resource.subresources:
        raise errors.path_not_found(path)
    if method == "GET":
        verb = "get" if name else ("watch" if query.get("watch") in ("1", "true") else "list")
    else:
        verb = _VERBS.get(method, method.lower())
    if (not name and verb not in ("list", "watch", "create")) or (
        name and verb == "create" and not subresource
    ):
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({verb})"
        )
    if resource.read_only and verb not in ("get", "list"):
        raise errors.method_not_allowed(
            f"the server does not allow this method on the requested resource ({verb})"
        )
    return Route(resource, namespace, name, subresource, verb)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubeemu"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
    # and the client's delayed ACK add 40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    @property
    def emulator(self) -> "KubeEmulator":
        return self.server.emulator  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        if self.emulator.verbose:
            super().log_message(format, *args)

    def _send(self, code: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
        # Pod logs are the one plain-text answer; everything else is JSON.
        text = isinstance(body, str)
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if text else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _user(self, path: str) -> rbac.User | None:
        header = self.headers.get("Authorization") or ""
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token and token == self.emulator.admin_token:
            return self._impersonated(rbac.ADMIN)
        if token:
            user = tokens.authenticate(self.emulator.store, self.emulator.store.signing_key, token)
            if user is None:
                raise errors.unauthorized()
            return self._impersonated(user)
        if path in PUBLIC_PATHS:
            return None
        raise errors.unauthorized()

    def _impersonated(self, user: rbac.User) -> rbac.User:
        """``Impersonate-User``/``-Group`` headers, honoured only for who may ``impersonate``."""
        name = self.headers.get("Impersonate-User")
        groups = tuple(self.headers.get_all("Impersonate-Group") or ())
        if name is None and not groups:
            return user
        wanted = [("users", name or "")] + [("groups", group) for group in groups]
        for resource, target in wanted:
            request = rbac.Request("impersonate", "", resource, name=target)
            if not rbac.authorize(self.emulator.store, user, request):
                identity = ResourceType("", "v1", resource, resource.title().rstrip("s"), False)
                raise errors.forbidden(identity, target, rbac.denial(user, request))
        all_groups = (*groups, "system:authenticated")
        return rbac.User(name or user.name, all_groups, is_admin="system:masters" in groups)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path, query = url.path.rstrip("/") or "/", {k: v[-1] for k, v in parse_qs(url.query).items()}
        raw = self._read_body()
        if path.startswith("/_emu/"):
            self._control(path, raw)
            return
        routing_error: errors.ApiError | None = None
        try:
            target = route(self.emulator, self.command, path, query)
        except errors.ApiError as error:
            verb = "get" if self.command == "GET" else _VERBS.get(self.command, self.command.lower())
            target, routing_error = Route(verb=verb), error
        self.emulator.counters.record(target.verb, self.command, path)
        if delay := self.emulator.faults.latency(self.command, path):
            time.sleep(delay)
        fault = self.emulator.faults.take(self.command, path)
        if fault is not None and fault.drop:
            self._drop()
            return
        try:
            if fault is not None:
                reason = REASONS.get(fault.status, "InternalError")
                raise errors.ApiError(fault.status, reason, fault.message, details={"retryAfterSeconds": 1})
            user = self._user(path)
            if routing_error is not None:
                raise routing_error
            code, body = self._dispatch(target, user, path, query, raw)
        except errors.ApiError as error:
            headers = {"Retry-After": "1"} if error.code in (429, 503) else {}
            self._send(error.code, error.status(), headers)
            return
        self._send(code, body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def _dispatch(
        self, target: Route, user: rbac.User | None, path: str, query: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any] | str]:
        if target.resource is None:
            return 200, self._discovery(path)
        assert user is not None
        resource = target.resource
        request = rbac.Request(
            target.verb, resource.group, resource.plural, target.subresource, target.name, target.namespace
        )
        if not rbac.authorize(self.emulator.store, user, request):
            raise errors.forbidden(resource, target.name, rbac.denial(user, request))

        def admit(obj: dict[str, Any]) -> None:
            why = rbac.escalation(self.emulator.store, user, resource.plural, obj)
            if why:
                raise errors.forbidden(resource, obj["metadata"].get("name", ""), why)

        return self._operate(target, query, raw, admit if resource.group == RBAC else None)

    def _discovery(self, path: str) -> dict[str, Any]:
        served = self.emulator.served()
        parts = [p for p in path.split("/") if p]
        document: dict[str, Any] | None = None
        if path == "/version":
            document = discovery.version(self.emulator.git_version)
        elif path in ("/healthz", "/livez", "/readyz"):
            document = {"status": "ok"}
        elif path == "/api":
            document = discovery.api_versions(self.emulator.address)
        elif path == "/apis":
            document = discovery.api_group_list(served)
        elif parts[0] == "api" and len(parts) == 2:
            document = discovery.resource_list(served, "", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            document = discovery.api_group(served, parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            document = discovery.resource_list(served, parts[1], parts[2])
        if document is None:
            raise errors.path_not_found(path)
        return document

    def _parse(self, raw: bytes, content_type: str) -> Any:
        try:
            if content_type == APPLY:
                return yaml.safe_load(raw or b"{}")
            return json.loads(raw or b"null")
        except (ValueError, yaml.YAMLError) as error:
            raise errors.bad_request(f"the request body could not be decoded: {error}") from error

    def _operate(
        self, target: Route, query: dict[str, str], raw: bytes, admit: Admit | None
    ) -> tuple[int, dict[str, Any] | str]:
        api, resource = self.emulator.objects, target.resource
        assert resource is not None
        ns, name, sub, verb = target.namespace, target.name, target.subresource, target.verb
        dry_run = query.get("dryRun") == "All"
        manager = query.get("fieldManager")
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        body = self._parse(raw, content_type) if verb in ("create", "update", "patch") or raw else None
        if verb in ("create", "update") or content_type == APPLY:
            body = without_nulls(body)
        if verb == "list":
            return 200, api.list(
                resource,
                ns or None,
                query.get("labelSelector"),
                query.get("fieldSelector"),
                query.get("limit"),
                query.get("continue"),
            )
        if verb == "watch":
            raise errors.method_not_allowed("watch is not supported by the emulator")
        if verb == "get" and sub == "log":
            return 200, api.pod_log(ns, name, query)
        if verb == "get":
            return 200, api.get_scale(resource, ns, name) if sub == "scale" else api.get(resource, ns, name)
        if verb == "create":
            if sub == "token":
                return 201, api.request_token(ns, name, body)
            return 201, api.create(resource, ns, body, manager=manager, dry_run=dry_run, admit=admit)
        if verb == "delete":
            deleted = api.delete(resource, ns, name, body)
            if resource.kind in ("Namespace", "Pod"):  # deleted gracefully: the API returns the object
                return 200, deleted
            details = {
                "name": name,
                "group": resource.group,
                "kind": resource.plural,
                "uid": deleted["metadata"]["uid"],
            }
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
        if verb == "update":
            if sub == "scale":
                return 200, api.set_scale(resource, ns, name, body, merge=False, dry_run=dry_run)
            if sub == "status":
                return 200, api.update_status(resource, ns, name, body, dry_run=dry_run)
            return 200, api.update(resource, ns, name, body, manager=manager, dry_run=dry_run, admit=admit)
        if content_type not in MERGE_TYPES and content_type != APPLY:
            raise errors.unsupported_media_type(content_type)
        if sub == "scale":
            return 200, api.set_scale(resource, ns, name, body, merge=True, dry_run=dry_run)
        if content_type == APPLY and not sub:
            if not manager:
                why = "fieldManager: Required value: is required for apply patch"
                raise errors.ApiError(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: {why}')
            return api.apply(resource, ns, name, body, manager=manager, dry_run=dry_run, admit=admit)
        status_only = sub == "status"
        return 200, api.merge(
            resource, ns, name, body, manager=manager, dry_run=dry_run, status_only=status_only, admit=admit
        )

    def _control(self, path: str, raw: bytes) -> None:
        header = self.headers.get("Authorization") or ""
        if header != f"Bearer {self.emulator.admin_token}":
            self._send(401, errors.unauthorized().status())
            return
        try:
            body = json.loads(raw or b"{}")
            result = self.emulator.control(
                path.removeprefix("/_emu/"), body if isinstance(body, dict) else {}
            )
        except errors.ApiError as error:
            self._send(error.code, error.status())
            return
        except (ValueError, TypeError) as error:
            self._send(400, errors.bad_request(str(error)).status())
            return
        self._send(200, result)
