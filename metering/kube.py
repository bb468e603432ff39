"""How metering reaches a cluster: through the console's gateway, never the client library."""

from clusters.connections import gateway_for_cluster


def gateway_for(cluster):
    return gateway_for_cluster(cluster)


def items(result) -> list[dict]:
    """List results as plain item dicts whether the gateway returns a list or a List object."""
    if isinstance(result, dict):
        return list(result.get("items") or [])
    return list(result or [])
