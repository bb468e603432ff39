"""Raw requests through the official client for what its typed APIs do not expose (apply)."""

import json
from typing import Any

import kubernetes

PLURALS = {"Namespace": "namespaces", "ConfigMap": "configmaps", "ServiceAccount": "serviceaccounts"}


def request(
    client: kubernetes.client.ApiClient,
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    content_type: str = "application/json",
    timeout: Any = None,
) -> dict[str, Any]:
    data = client.call_api(
        path,
        method,
        query_params=list((query or {}).items()),
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body,
        response_type="object",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _request_timeout=timeout,
    )
    return data


def apply(
    client: kubernetes.client.ApiClient, path: str, obj: dict[str, Any], manager: str = "test"
) -> dict[str, Any]:
    query = {"fieldManager": manager, "force": "true"}
    return request(client, "PATCH", path, body=obj, query=query, content_type="application/apply-patch+yaml")


def status_of(error: kubernetes.client.ApiException) -> dict[str, Any]:
    return json.loads(error.body)


def namespace(client: kubernetes.client.ApiClient, name: str, **labels: str) -> None:
    body = {"metadata": {"name": name, "labels": labels}}
    kubernetes.client.CoreV1Api(client).create_namespace(body)
