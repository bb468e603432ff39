"""Network bytes per namespace from a Prometheus-compatible HTTP API (``/api/v1/query``).

One instant query per metric, evaluated at the end of the window; each must return a
vector with a ``namespace`` label. Namespaces missing from a successful answer are recorded
as gaps by the collector (no series means no measurement, not zero traffic).
"""

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings

logger = logging.getLogger(__name__)


def query_vector(query: str, *, at: datetime) -> dict[str, Decimal] | None:
    """``{namespace: value}`` for an instant query, or None when the endpoint failed."""
    try:
        response = requests.get(
            f"{settings.PROMETHEUS_URL}/api/v1/query",
            params={"query": query, "time": f"{at.timestamp():.3f}"},
            timeout=settings.PROMETHEUS_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("metering: Prometheus query failed: %s", exc)
        return None
    if body.get("status") != "success" or body.get("data", {}).get("resultType") != "vector":
        logger.warning("metering: Prometheus answered %s", body.get("error") or body.get("status"))
        return None
    values: dict[str, Decimal] = {}
    for series in body["data"].get("result", []):
        namespace = series.get("metric", {}).get("namespace")
        try:
            value = Decimal(series["value"][1])
        except (KeyError, IndexError, InvalidOperation):
            continue
        if namespace and value.is_finite():
            values[namespace] = values.get(namespace, Decimal(0)) + max(value, Decimal(0)).quantize(
                Decimal(1)
            )
    return values


def network_bytes(
    *, window_end: datetime, window_seconds: int
) -> dict[str, dict[str, Decimal] | None] | None:
    """Per metric, bytes per namespace over the window; None when no Prometheus is configured."""
    if not settings.PROMETHEUS_URL:
        return None
    window = f"{window_seconds}s"
    return {
        metric: query_vector(template.replace("{window}", window), at=window_end)
        for metric, template in settings.METERING_PROMQL.items()
    }
