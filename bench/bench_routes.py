"""Adding one route with 10 versus 20,000 teams that all have routes.

A tenant's new Ingress is one API write of its own, checked by kube-apiserver against its
Namespace; nothing of the console is on that path. The console's part comes after: the
reconcile of that namespace reads its routes into the record of claims and re-applies the
team's other namespace, whose Namespace now lists the new host+path as taken. Figures: the
console's time for that (median of 7 routes after one warm-up), its API writes and database queries, with 10
and with 20,000 teams (two namespaces and one route each), against the emulator over HTTP.
"""

import statistics
import time

from bench._setup import default_cluster_id, django_with_temp_sqlite, emulated_cluster, quick

SMALL, LARGE = 10, 20_000
QUICK_LARGE = 2_000
PROBES = 7


def _ingress(name: str, namespace: str, host: str) -> dict:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    rule = {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"rules": [rule]},
    }


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from clusters.connections import default_cluster, gateway_for_cluster
    from clusters.tasks import provision_namespace
    from console.celery import app
    from domains.models import RouteClaim
    from kubeemu.registry import by_kind
    from tenants.models import Namespace, Team

    app.conf.task_always_eager = True
    emulator = emulated_cluster(workdir)
    apps = settings.TENANTRY_APPS_DOMAIN
    cluster_id = default_cluster_id()
    ingress_type = by_kind("networking.k8s.io/v1", "Ingress")

    def add_teams(start: int, stop: int) -> None:
        """Teams with two namespaces and one Ingress each, as a reconcile would have left them."""
        teams = Team.objects.bulk_create(
            [Team(name=f"t{i}", slug=f"t{i}", trust_level="trusted") for i in range(start, stop)]
        )
        namespaces = Namespace.objects.bulk_create(
            [
                Namespace(cluster_id=cluster_id, team=team, name=f"{team.slug}-{side}", status="ready")
                for team in teams
                for side in "ab"
            ]
        )
        now = timezone.now()
        claims = []
        for ns in namespaces[::2]:
            host = f"www.{ns.team.slug}.{apps}"
            emulator.store.put(ingress_type, _ingress("web", ns.name, host))
            claims.append(
                RouteClaim(
                    namespace=ns, team=ns.team, kind="Ingress", name="web", host=host,
                    host_reversed=host[::-1], path="/", seen_at=now,
                )
            )  # fmt: skip
        RouteClaim.objects.bulk_create(claims, batch_size=2000)

    def probe_team(label: str) -> tuple[Namespace, Namespace]:
        team = Team.objects.create(name=label, slug=label, trust_level="trusted")
        first, second = (
            Namespace.objects.create(cluster_id=cluster_id, team=team, name=f"{label}-{side}")
            for side in "ab"
        )
        for ns in (first, second):
            assert provision_namespace.apply((ns.pk,)).get() == "applied"
        return first, second

    def add_one_route(first: Namespace, second: Namespace, index: int) -> tuple[float, int, int, float]:
        gateway = gateway_for_cluster(default_cluster())
        gateway.create(_ingress(f"r{index}", first.name, f"r{index}.{first.team.slug}.{apps}"))  # the tenant
        emulator.reset_counters()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            provision_namespace.apply((first.pk,)).get()  # the reconcile; it re-applies `second`
            elapsed = time.perf_counter() - started
        live = gateway.get("v1", "Namespace", second.name)
        taken = live["metadata"]["annotations"]["tenantry.io/taken-routes"]
        assert f"r{index}.{first.team.slug}.{apps}/" in taken, taken
        database = sum(float(query["time"]) for query in queries.captured_queries)
        return elapsed, emulator.counts()["writes"], len(queries.captured_queries), database

    def measure(label: str) -> None:
        first, second = probe_team(label)
        add_one_route(first, second, -1)  # warm-up: connections, caches
        samples = [add_one_route(first, second, i) for i in range(PROBES)]
        teams = Team.objects.count()
        print(
            f"one more route with {teams:>6} teams ({RouteClaim.objects.count():>6} claims): "
            f"console median {statistics.median(s[0] for s in samples) * 1000:.1f} ms, "
            f"of it in the database {statistics.median(s[3] for s in samples) * 1000:.1f} ms; "
            f"{samples[-1][1]} API writes, {samples[-1][2]} queries"
        )

    add_teams(0, SMALL - 1)
    measure("small")
    add_teams(SMALL, QUICK_LARGE if quick() else LARGE)
    measure("large")
    emulator.stop()


if __name__ == "__main__":
    main()
