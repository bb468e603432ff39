"""The only module that talks to Kubernetes: a thin gateway over the official client.

Paths come from a static registry of the kinds the console uses, so one call is one HTTP request
(no discovery round-trips). Every call has connect/read timeouts and no hidden urllib3 retries;
failures are raised as ``clusters.kube.errors`` classes so Celery tasks can tell transient from
permanent ones.
"""

from __future__ import annotations

import base64
import builtins
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import kubernetes
import urllib3

from clusters.kube import errors
from clusters.kube.manifests.names import GATEWAY_API_GROUP

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
FIELD_MANAGER = "tenantry-console"
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class KindInfo:
    prefix: str
    plural: str
    namespaced: bool


def _core(plural: str, namespaced: bool = True) -> KindInfo:
    return KindInfo("/api/v1", plural, namespaced)


def _group(group_version: str, plural: str, namespaced: bool = True) -> KindInfo:
    return KindInfo(f"/apis/{group_version}", plural, namespaced)


RBAC, ADMISSION = "rbac.authorization.k8s.io/v1", "admissionregistration.k8s.io"
GATEWAY_API = f"{GATEWAY_API_GROUP}/v1"
KINDS: dict[tuple[str, str], KindInfo] = {
    ("v1", "Namespace"): _core("namespaces", False),
    ("v1", "Node"): _core("nodes", False),
    ("v1", "ServiceAccount"): _core("serviceaccounts"),
    ("v1", "ResourceQuota"): _core("resourcequotas"),
    ("v1", "LimitRange"): _core("limitranges"),
    ("v1", "Pod"): _core("pods"),
    ("v1", "PersistentVolumeClaim"): _core("persistentvolumeclaims"),
    ("v1", "Service"): _core("services"),
    ("v1", "ConfigMap"): _core("configmaps"),
    ("v1", "Secret"): _core("secrets"),
    ("v1", "Event"): _core("events"),
    (RBAC, "ClusterRole"): _group(RBAC, "clusterroles", False),
    (RBAC, "ClusterRoleBinding"): _group(RBAC, "clusterrolebindings", False),
    (RBAC, "Role"): _group(RBAC, "roles"),
    (RBAC, "RoleBinding"): _group(RBAC, "rolebindings"),
    ("networking.k8s.io/v1", "NetworkPolicy"): _group("networking.k8s.io/v1", "networkpolicies"),
    (f"{ADMISSION}/v1", "ValidatingAdmissionPolicy"): _group(
        f"{ADMISSION}/v1", "validatingadmissionpolicies", False
    ),
    (f"{ADMISSION}/v1", "ValidatingAdmissionPolicyBinding"): _group(
        f"{ADMISSION}/v1", "validatingadmissionpolicybindings", False
    ),
    (f"{ADMISSION}/v1beta1", "MutatingAdmissionPolicy"): _group(
        f"{ADMISSION}/v1beta1", "mutatingadmissionpolicies", False
    ),
    (f"{ADMISSION}/v1beta1", "MutatingAdmissionPolicyBinding"): _group(
        f"{ADMISSION}/v1beta1", "mutatingadmissionpolicybindings", False
    ),
    ("node.k8s.io/v1", "RuntimeClass"): _group("node.k8s.io/v1", "runtimeclasses", False),
    ("storage.k8s.io/v1", "StorageClass"): _group("storage.k8s.io/v1", "storageclasses", False),
    ("apps/v1", "Deployment"): _group("apps/v1", "deployments"),
    ("apps/v1", "StatefulSet"): _group("apps/v1", "statefulsets"),
    ("apps/v1", "DaemonSet"): _group("apps/v1", "daemonsets"),
    ("batch/v1", "Job"): _group("batch/v1", "jobs"),
    ("batch/v1", "CronJob"): _group("batch/v1", "cronjobs"),
    ("networking.k8s.io/v1", "Ingress"): _group("networking.k8s.io/v1", "ingresses"),
    (GATEWAY_API, "HTTPRoute"): _group(GATEWAY_API, "httproutes"),
    (GATEWAY_API, "GRPCRoute"): _group(GATEWAY_API, "grpcroutes"),
    (GATEWAY_API, "TLSRoute"): _group(GATEWAY_API, "tlsroutes"),
    (GATEWAY_API, "Gateway"): _group(GATEWAY_API, "gateways"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): _group(
        "apiextensions.k8s.io/v1", "customresourcedefinitions", False
    ),
    ("metrics.k8s.io/v1beta1", "PodMetrics"): _group("metrics.k8s.io/v1beta1", "pods"),
    ("metrics.k8s.io/v1beta1", "NodeMetrics"): _group("metrics.k8s.io/v1beta1", "nodes", False),
}


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class KubeGateway:
    """A connection to one cluster. Thread-safe; build once per cluster and reuse."""

    def __init__(
        self,
        configuration: kubernetes.client.Configuration,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ):
        # Retries would hide dropped connections and double non-idempotent writes; callers retry.
        configuration.retries = False
        self._api = kubernetes.client.ApiClient(configuration)
        self.timeout = timeout

    @classmethod
    def from_kubeconfig(cls, path: str, context: str | None = None, **kwargs: Any) -> KubeGateway:
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(
            config_file=path,
            context=context or None,
            client_configuration=configuration,
            persist_config=False,
        )
        return cls(configuration, **kwargs)

    @classmethod
    def from_kubeconfig_dict(
        cls, config: dict[str, Any], context: str | None = None, **kwargs: Any
    ) -> KubeGateway:
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config_from_dict(
            config, context=context or None, client_configuration=configuration, persist_config=False
        )
        return cls(configuration, **kwargs)

    @classmethod
    def in_cluster(cls, **kwargs: Any) -> KubeGateway:
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_incluster_config(client_configuration=configuration)
        return cls(configuration, **kwargs)

    @classmethod
    def from_url(
        cls, url: str, token: str, *, ca_file: str | None = None, verify_ssl: bool = True, **kwargs: Any
    ) -> KubeGateway:
        configuration = kubernetes.client.Configuration(host=url)
        configuration.api_key = {"authorization": token}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        configuration.ssl_ca_cert = ca_file
        configuration.verify_ssl = verify_ssl
        return cls(configuration, **kwargs)

    def close(self) -> None:
        self._api.close()

    def with_token(self, token: str, **kwargs: Any) -> KubeGateway:
        """A gateway to the same server, trusting the same CA, that authenticates as ``token``'s owner."""
        configuration = copy.deepcopy(self._api.configuration)
        configuration.api_key = {"authorization": token}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        # Kubeconfig users may have authenticated with client certificates or an exec plugin.
        configuration.cert_file = configuration.key_file = None
        configuration.refresh_api_key_hook = None
        return KubeGateway(configuration, timeout=kwargs.get("timeout", self.timeout))

    # --- how clients reach this cluster (for the kubeconfigs handed to users) ----------------
    @property
    def server_url(self) -> str:
        return str(self._api.configuration.host)

    @property
    def insecure_skip_tls_verify(self) -> bool:
        return self.server_url.startswith("https:") and not self._api.configuration.verify_ssl

    def certificate_authority_data(self) -> str | None:
        """The CA bundle the gateway trusts, base64-encoded as kubeconfigs carry it; None if none.

        The official loader writes ``certificate-authority-data`` to a temporary file and keeps
        only its path, so the bundle is read back from there.
        """
        path = self._api.configuration.ssl_ca_cert
        if not path:
            return None
        with open(path, "rb") as ca_file:
            return base64.b64encode(ca_file.read()).decode()

    # --- transport ----------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            data = self._api.call_api(
                path,
                method,
                query_params=builtins.list((query or {}).items()),
                header_params=headers,
                body=body,
                response_type="object",
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                _request_timeout=self.timeout,
            )
        except kubernetes.client.ApiException as error:
            raise errors.from_response(error.status or 0, error.body, error.reason or "") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise errors.TransientKubeError(f"{method} {path}: {error}") from error
        return data if isinstance(data, dict) else {}

    @staticmethod
    def kind_info(api_version: str, kind: str) -> KindInfo:
        try:
            return KINDS[(api_version, kind)]
        except KeyError:
            raise errors.PermanentKubeError(f"{api_version} {kind} is not known to the gateway") from None

    def _path(
        self, api_version: str, kind: str, name: str = "", namespace: str | None = None, subresource: str = ""
    ) -> str:
        info = self.kind_info(api_version, kind)
        parts = [info.prefix]
        if info.namespaced and namespace:
            parts += ["namespaces", quote(namespace, safe="")]
        elif info.namespaced and name:
            raise ValueError(f"{kind} {name!r} needs a namespace")
        parts.append(info.plural)
        if name:
            parts.append(quote(name, safe=""))
        if subresource:
            parts.append(subresource)
        return "/".join(parts)

    # --- objects ------------------------------------------------------------------------------
    def apply(
        self, obj: dict[str, Any], *, field_manager: str = FIELD_MANAGER, force: bool = True
    ) -> dict[str, Any]:
        """Server-side apply ``obj`` (created if missing); returns the stored object."""
        meta = obj.get("metadata") or {}
        path = self._path(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        # JSON is valid YAML, so the apply patch is sent JSON-encoded.
        return self._request("PATCH", path, query=query, body=obj, content_type=APPLY_PATCH)

    def create(self, obj: dict[str, Any], *, field_manager: str = FIELD_MANAGER) -> dict[str, Any]:
        """Create ``obj``; ``ConflictError`` (AlreadyExists) when the name is taken."""
        meta = obj.get("metadata") or {}
        path = self._path(obj["apiVersion"], obj["kind"], namespace=meta.get("namespace"))
        return self._request("POST", path, query={"fieldManager": field_manager}, body=obj)

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        try:
            return self._request("GET", self._path(api_version, kind, name, namespace))
        except errors.NotFoundError:
            return None

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        """Objects of a kind, in one namespace or (``namespace=None``) across all of them."""
        query = {"labelSelector": label_selector} if label_selector else None
        result = self._request("GET", self._path(api_version, kind, namespace=namespace), query=query)
        items = result.get("items") or []
        for item in items:  # real API servers omit these on list items
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def list_page(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        *,
        limit: int,
        continue_token: str = "",
        field_selector: str = "",
    ) -> tuple[builtins.list[dict[str, Any]], str]:
        """One page of a list (``limit``/``continue``) in one namespace or (``namespace=None``)
        across all of them, and the token for the next ("" at the end)."""
        query = {"limit": str(limit)}
        if continue_token:
            query["continue"] = continue_token
        if field_selector:
            query["fieldSelector"] = field_selector
        result = self._request("GET", self._path(api_version, kind, namespace=namespace), query=query)
        return result.get("items") or [], (result.get("metadata") or {}).get("continue") or ""

    def list_pages(
        self, api_version: str, kind: str, namespace: str | None = None, *, limit: int
    ) -> Iterator[builtins.list[dict[str, Any]]]:
        """Every page of a list, one request each, as they arrive: memory holds one page. A
        server that does not chunk (no ``continue``) answers everything in the first page."""
        token = ""
        while True:
            items, token = self.list_page(api_version, kind, namespace, limit=limit, continue_token=token)
            for item in items:  # real API servers omit these on list items
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
            yield items
            if not token:
                return

    def pod_log(self, namespace: str, pod: str, *, container: str, tail_lines: int, limit_bytes: int) -> str:
        """The last ``tail_lines`` lines of a container's log, at most ``limit_bytes`` bytes of them."""
        path = self._path("v1", "Pod", pod, namespace, "log")
        query = {"container": container, "tailLines": str(tail_lines), "limitBytes": str(limit_bytes)}
        try:
            response = self._api.call_api(
                path,
                "GET",
                query_params=builtins.list(query.items()),
                header_params={"Accept": "text/plain"},
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                _preload_content=False,  # raw text: the client would parse a log line that looks like JSON
                _request_timeout=self.timeout,
            )
        except kubernetes.client.ApiException as error:
            raise errors.from_response(error.status or 0, error.body, error.reason or "") from error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise errors.TransientKubeError(f"GET {path}: {error}") from error
        return response.data.decode("utf-8", errors="replace")

    def delete(
        self, api_version: str, kind: str, name: str, namespace: str | None = None, *, uid: str = ""
    ) -> bool:
        """Delete an object; False when it was already gone.

        With ``uid`` the API server deletes only that very object (a precondition): a
        namespace recreated by someone else under the same name answers ``ConflictError``.
        """
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": uid}} if uid else None
        try:
            self._request("DELETE", self._path(api_version, kind, name, namespace), body=body)
        except errors.NotFoundError:
            return False
        return True

    def patch_merge(
        self, api_version: str, kind: str, name: str, patch: dict[str, Any], namespace: str | None = None
    ) -> dict[str, Any]:
        path = self._path(api_version, kind, name, namespace)
        return self._request("PATCH", path, body=patch, content_type=MERGE_PATCH)

    def get_scale(self, kind: str, name: str, namespace: str, api_version: str = "apps/v1") -> int:
        scale = self._request("GET", self._path(api_version, kind, name, namespace, "scale"))
        return int((scale.get("spec") or {}).get("replicas") or 0)

    def set_scale(
        self, kind: str, name: str, namespace: str, replicas: int, api_version: str = "apps/v1"
    ) -> int:
        path = self._path(api_version, kind, name, namespace, "scale")
        scale = self._request("PATCH", path, body={"spec": {"replicas": replicas}}, content_type=MERGE_PATCH)
        return int((scale.get("spec") or {}).get("replicas") or 0)

    def create_token(
        self,
        namespace: str,
        service_account: str,
        expiration_seconds: int,
        audiences: builtins.list[str] | None = None,
    ) -> tuple[str, datetime]:
        """A bound ServiceAccount token (TokenRequest) and when it expires."""
        spec: dict[str, Any] = {"expirationSeconds": expiration_seconds}
        if audiences:
            spec["audiences"] = audiences
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
        path = self._path("v1", "ServiceAccount", service_account, namespace, "token")
        status = self._request("POST", path, body=body).get("status") or {}
        return status["token"], _parse_time(status["expirationTimestamp"])

    # --- discovery and metrics ----------------------------------------------------------------
    def version(self) -> str:
        return str(self._request("GET", "/version").get("gitVersion", ""))

    def api_groups(self) -> set[str]:
        """Names of the served API groups (the core group is not included)."""
        return {group["name"] for group in self._request("GET", "/apis").get("groups") or []}

    def served_resources(self, group_version: str) -> set[str]:
        """The resources (plurals) ``group_version`` (``"v1"`` or ``"group/version"``) serves."""
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        try:
            resources = self._request("GET", path).get("resources") or []
        except errors.NotFoundError:
            return set()
        return {r.get("name", "") for r in resources}

    def has_resource(self, group_version: str, plural: str) -> bool:
        return plural in self.served_resources(group_version)

    def list_pod_metrics(
        self, namespace: str | None = None, label_selector: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        return self.list("metrics.k8s.io/v1beta1", "PodMetrics", namespace, label_selector)

    def list_node_metrics(self) -> builtins.list[dict[str, Any]]:
        return self.list("metrics.k8s.io/v1beta1", "NodeMetrics")
