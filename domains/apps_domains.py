"""The apps domains teams own subdomains of: ``TENANTRY_APPS_DOMAIN`` and each cluster's own.

A cluster may set its own apps domain (``clusters.Cluster.apps_domain``); teams then own
``<team>.<that domain>`` on it. This floor cannot read clusters, so the clusters app registers
a provider at start-up (``ClustersConfig.ready``), as it does for other cross-floor inputs.
"""

from collections.abc import Callable, Iterable

from django.conf import settings

_cluster_domains: Callable[[], Iterable[str]] = tuple


def provide_cluster_apps_domains(provider: Callable[[], Iterable[str]]) -> None:
    """``provider()`` answers the apps domains clusters set (one query)."""
    global _cluster_domains
    _cluster_domains = provider


def apps_domains() -> tuple[str, ...]:
    """Every apps domain in use: the console's default first, then the clusters' own, sorted."""
    default = settings.TENANTRY_APPS_DOMAIN
    return (default, *sorted(set(_cluster_domains()) - {default, ""}))
