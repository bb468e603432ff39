"""What a tenant's routes claim, read from the objects as the API server returns them.

Pure functions over plain dicts (no Django, no client; the reconcile in ``clusters`` reads the objects): an Ingress claims each rule's host
with each of its paths, an HTTPRoute each hostname with each match path (``/`` when it has
none), and GRPC and TLS routes each hostname whole (``/``). The status is what the pages
show: the Ingress's load-balancer addresses, or whether the Gateways accepted the route.
"""

from __future__ import annotations

from dataclasses import dataclass

GATEWAY_API = "gateway.networking.k8s.io/v1"
# (apiVersion, kind, plural) of every route kind the reconcile reads.
ROUTE_KINDS = (
    ("networking.k8s.io/v1", "Ingress", "ingresses"),
    (GATEWAY_API, "HTTPRoute", "httproutes"),
    (GATEWAY_API, "GRPCRoute", "grpcroutes"),
    (GATEWAY_API, "TLSRoute", "tlsroutes"),
)
STATUS_MAX = 300
# A route's status: its Ingress addresses ("" before it has one); for Gateway API routes
# ACCEPTED, the first refusing parent's reason and message, or "" before a Gateway answers.
ACCEPTED = "Accepted"


@dataclass(frozen=True, order=True)
class Claim:
    host: str
    path: str
    kind: str
    name: str
    status: str = ""

    @property
    def key(self) -> str:
        return f"{self.host}{self.path}"


def _ingress_status(obj: dict) -> str:
    addresses = [
        entry.get("ip") or entry.get("hostname") or ""
        for entry in ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    ]
    addresses = [address for address in addresses if address]
    return ", ".join(addresses)


def _route_status(obj: dict) -> str:
    verdicts = []
    for parent in (obj.get("status") or {}).get("parents") or []:
        for condition in parent.get("conditions") or []:
            if condition.get("type") != "Accepted":
                continue
            if condition.get("status") == "True":
                verdicts.append(ACCEPTED)
            else:
                verdicts.append(
                    f"{condition.get('reason') or ''} {condition.get('message') or ''}".strip() or "?"
                )
    refused = [verdict for verdict in verdicts if verdict != ACCEPTED]
    return refused[0] if refused else (ACCEPTED if verdicts else "")


def route_claims(obj: dict) -> list[Claim]:
    """The host+paths one Ingress or Gateway API route serves, with its status."""
    kind = obj.get("kind", "")
    name = (obj.get("metadata") or {}).get("name", "")
    spec = obj.get("spec") or {}
    pairs: list[tuple[str, str]] = []
    if kind == "Ingress":
        status = _ingress_status(obj)
        for rule in spec.get("rules") or []:
            host = rule.get("host") or ""
            paths = [p.get("path") or "/" for p in ((rule.get("http") or {}).get("paths") or [])] or ["/"]
            pairs += [(host, path) for path in paths if host]
    else:
        status = _route_status(obj)
        paths = ["/"]
        if kind == "HTTPRoute":
            paths = [
                (match.get("path") or {}).get("value") or "/"
                for rule in spec.get("rules") or [{}]
                for match in rule.get("matches") or [{}]
            ] or ["/"]
        pairs = [(host, path) for host in spec.get("hostnames") or [] for path in paths]
    return sorted({Claim(host.lower(), path, kind, name, status[:STATUS_MAX]) for host, path in pairs})
