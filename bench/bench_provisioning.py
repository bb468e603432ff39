"""Provisioning through the worker path against the emulator over HTTP.

Figures: time and API calls per namespace for 10, 100 and 1,000 namespaces with 5 members
each (the growth table: 1x, 10x, 100x), and the time (and calls) for one more namespace when
10 versus 10,000 already exist.
"""

import statistics
import time

from bench._setup import default_cluster_id, django_with_temp_sqlite, emulated_cluster, quick

SIZES = (10, 100, 1000)
QUICK_SIZES = (10, 100)
MEMBERS = 5
LARGE = 10_000


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.contrib.auth import get_user_model

    from clusters.models import NamespaceProvisioning
    from clusters.tasks import provision_namespace
    from console.celery import app
    from kubeemu.registry import by_kind
    from tenants.models import Namespace, NamespaceMembership, Team, TeamMembership

    app.conf.task_always_eager = True
    emulator = emulated_cluster(workdir)
    User = get_user_model()

    team = Team.objects.create(name="Bench", slug="bench", trust_level="trusted")
    owner = User.objects.create(username="owner", email="owner@example.com")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    users = [User(username=f"dev{i}", email=f"dev{i}@example.com") for i in range(MEMBERS - 1)]
    User.objects.bulk_create(users)
    TeamMembership.objects.bulk_create([TeamMembership(team=team, user=u, role="member") for u in users])

    def make_namespaces(prefix: str, count: int) -> list[Namespace]:
        namespaces = Namespace.objects.bulk_create(
            [
                Namespace(cluster_id=default_cluster_id(), team=team, name=f"{prefix}-{i}")
                for i in range(count)
            ]
        )
        NamespaceProvisioning.objects.bulk_create([NamespaceProvisioning(namespace=ns) for ns in namespaces])
        NamespaceMembership.objects.bulk_create(
            [NamespaceMembership(namespace=ns, user=u, role="developer") for ns in namespaces for u in users]
        )
        return namespaces

    def provision_one(ns: Namespace) -> tuple[float, int]:
        emulator.reset_counters()
        started = time.perf_counter()
        outcome = provision_namespace.apply((ns.pk,)).get()
        assert outcome == "applied", outcome
        return time.perf_counter() - started, emulator.counts()["total"]

    # Warm-up: the first namespace also bootstraps the cluster.
    provision_one(make_namespaces("warm", 1)[0])

    print(f"{'namespaces':>10} {'total s':>8} {'ms/ns':>7} {'API calls/ns':>12}  ({MEMBERS} members each)")
    for size in QUICK_SIZES if quick() else SIZES:
        batch = make_namespaces(f"ns{size}", size)
        emulator.reset_counters()
        started = time.perf_counter()
        for ns in batch:
            provision_namespace.apply((ns.pk,)).get()
        total = time.perf_counter() - started
        calls = emulator.counts()["total"]
        print(f"{size:>10} {total:>8.1f} {total / size * 1000:>7.1f} {calls / size:>12.1f}", flush=True)

    def one_more(label: str) -> None:
        samples = [provision_one(ns) for ns in make_namespaces(f"probe-{label}", 5)]
        times = [t for t, _ in samples]
        print(
            f"one more namespace with {label:>6} existing: median {statistics.median(times) * 1000:.1f} ms, "
            f"{samples[0][1]} API calls"
        )

    # A fresh cluster and database state with 10 namespaces...
    Namespace.objects.exclude(name__startswith="warm").delete()
    emulator.reset()
    provision_one(make_namespaces("small", 10)[0])
    for ns in Namespace.objects.filter(name__startswith="small")[1:]:
        provision_namespace.apply((ns.pk,)).get()
    one_more("10")

    # ...and with 10,000: rows in the database, namespaces and their quota on the cluster.
    existing = make_namespaces("big", LARGE)
    ns_type, quota_type = by_kind("v1", "Namespace"), by_kind("v1", "ResourceQuota")
    for ns in existing:
        emulator.store.put(ns_type, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name}})
        emulator.store.put(
            quota_type,
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "tenant-quota", "namespace": ns.name},
                "spec": {},
            },
        )
    one_more(f"{Namespace.objects.count()}")
    emulator.stop()


if __name__ == "__main__":
    main()
