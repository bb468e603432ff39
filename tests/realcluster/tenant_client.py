"""A tenant at the API server with nothing but a kubeconfig the console handed out.

Plain HTTPS requests (``requests``, verifying the kubeconfig's CA), so every answer's status
code and Status body (``reason``, ``message``) can be asserted as the server sent them.
"""

from __future__ import annotations

import base64
import tempfile
from dataclasses import dataclass
from typing import Any

import requests
import yaml


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


class TenantClient:
    """Requests to the current context's cluster with the context's bearer token."""

    def __init__(self, kubeconfig_text: str):
        config = yaml.safe_load(kubeconfig_text)
        context_name = config["current-context"]
        context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self.server = cluster["server"].rstrip("/")
        self.namespace = context.get("namespace", "default")
        self.token = user["token"]
        self._ca = tempfile.NamedTemporaryFile(suffix=".crt")  # noqa: SIM115 - lives as long as the client
        self._ca.write(base64.b64decode(cluster.get("certificate-authority-data", "")))
        self._ca.flush()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def close(self) -> None:
        self.session.close()
        self._ca.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        response = self.session.request(
            method,
            f"{self.server}{path}",
            json=body,
            headers={"Content-Type": content_type, "Accept": "application/json", **(headers or {})},
            # Per request: a session-level ``verify`` loses to REQUESTS_CA_BUNDLE from the environment.
            verify=self._ca.name,
            timeout=30,
        )
        try:
            data = response.json()
        except ValueError:
            data = {"message": response.text}
        return Answer(response.status_code, data if isinstance(data, dict) else {})

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def create(self, path: str, body: dict[str, Any]) -> Answer:
        return self.request("POST", path, body)

    def merge_patch(self, path: str, patch: dict[str, Any]) -> Answer:
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json")

    def delete(self, path: str) -> Answer:
        return self.request("DELETE", path)
