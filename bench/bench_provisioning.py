"""Provisioning through the worker path against the emulator over HTTP.

Figures: time, API calls and writes per namespace against the objects per namespace (goal:
calls ≤ objects + 1) for 10, 100 and 1,000 namespaces with 5 members each (the growth table:
1x, 10x, 100x), and the time and calls for one more namespace when 10 versus 10,000 already
exist. In the default run the 10,000 are written straight into the emulator's store and the
database (every object a provisioned namespace has); `python -m bench --large
bench_provisioning` provisions them through the worker path instead, one by one, and prints
the time per namespace as their number grows (a few minutes).
"""

import statistics
import time
import uuid

from bench._setup import (
    default_cluster_id,
    django_with_temp_sqlite,
    emulated_cluster,
    large,
    quick,
    record_goal,
    record_growth,
)

SIZES = (10, 100, 1000)
QUICK_SIZES = (10, 100)
MEMBERS = 5
LARGE = 10_000
PROBES = 5
FLAT = 1.5  # "flat": one more namespace's CPU time with 10,000 existing at most this times that with 10
WINDOW = 100  # namespaces per line while the large run provisions its 10,000


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from clusters.kube.manifests import tenant_namespace_objects
    from clusters.kube.spec import MemberBinding, TenantNamespaceSpec, platform_settings_from_django
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
            ],
            batch_size=2000,
        )
        NamespaceProvisioning.objects.bulk_create(
            [NamespaceProvisioning(namespace=ns) for ns in namespaces], batch_size=2000
        )
        NamespaceMembership.objects.bulk_create(
            [NamespaceMembership(namespace=ns, user=u, role="developer") for ns in namespaces for u in users],
            batch_size=2000,
        )
        return namespaces

    def objects_of(namespaces: list[Namespace]) -> float:
        """Objects per namespace, as the provisioner recorded them."""
        counts = [
            len(applied)
            for applied in NamespaceProvisioning.objects.filter(
                pk__in=[ns.pk for ns in namespaces]
            ).values_list("applied_objects", flat=True)
        ]
        return sum(counts) / len(counts)

    def provision_all(namespaces: list[Namespace]) -> None:
        for ns in namespaces:
            outcome = provision_namespace.apply((ns.pk,)).get()
            assert outcome == "applied", (ns.name, outcome)

    def provision_one(ns: Namespace) -> tuple[float, float, int, int]:
        emulator.reset_counters()
        started, cpu = time.perf_counter(), time.process_time()
        outcome = provision_namespace.apply((ns.pk,)).get()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert outcome == "applied", outcome
        counts = emulator.counts()
        return elapsed, cpu, counts["total"], counts["writes"]

    # Warm-up: the first namespace also bootstraps the cluster.
    provision_one(make_namespaces("warm", 1)[0])

    print(
        f"{'namespaces':>10} {'total s':>8} {'ms/ns':>7} {'CPU ms/ns':>9} {'calls/ns':>9} {'writes/ns':>9} "
        f"{'objects/ns':>10}  ({MEMBERS} members each; goal: calls <= objects + 1)"
    )
    sizes, costs = QUICK_SIZES if quick() else SIZES, []
    for size in sizes:
        batch = make_namespaces(f"ns{size}", size)
        emulator.reset_counters()
        started, cpu = time.perf_counter(), time.process_time()
        provision_all(batch)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = emulator.counts()
        objects = objects_of(batch)
        calls = counts["total"] / size
        print(
            f"{size:>10} {total:>8.1f} {total / size * 1000:>7.1f} {cpu / size * 1000:>9.1f} {calls:>9.1f} "
            f"{counts['writes'] / size:>9.1f} {objects:>10.1f}  "
            f"{'met' if calls <= objects + 1 else 'NOT MET'}",
            flush=True,
        )
        costs.append(total / size * 1000)
    record_growth("provisioning", "ms/namespace", sizes, costs)
    record_goal(
        "provisioning: API calls for a new namespace <= objects + 1",
        f"{calls:.1f} calls ({counts['writes'] / size:.1f} writes), {objects:.1f} objects",
        calls / (objects + 1),
        limit=1,
    )

    def one_more(label: str) -> tuple[float, float]:
        probes = make_namespaces(f"probe-{label}", PROBES)
        samples = [provision_one(ns) for ns in probes]
        median, cpu = (statistics.median(s[i] for s in samples) for i in (0, 1))
        print(
            f"one more namespace with {label:>6} existing: median {median * 1000:.1f} ms "
            f"({cpu * 1000:.1f} ms CPU), {samples[0][2]} API calls ({samples[0][3]} writes) "
            f"for {objects_of(probes):.0f} objects",
            flush=True,
        )
        return median, cpu

    # A fresh cluster and database state with 10 namespaces...
    Namespace.objects.exclude(name__startswith="warm").delete()
    emulator.reset()
    provision_one(make_namespaces("small", 10)[0])
    provision_all(list(Namespace.objects.filter(name__startswith="small").order_by("pk")[1:]))
    small_count = Namespace.objects.count()
    small = one_more(f"{small_count}")

    # ...and with 10,000: rows in the database, namespaces with everything in them on the cluster.
    existing = make_namespaces("big", LARGE)
    if large():
        print(f"provisioning {LARGE} namespaces through the worker, {WINDOW} a line:")
        for start in range(0, LARGE, WINDOW):
            window = existing[start : start + WINDOW]
            started, cpu = time.perf_counter(), time.process_time()
            provision_all(window)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if start == 0 or (start + WINDOW) % (LARGE // 10) == 0:
                print(
                    f"  namespaces {start + 1:>5}-{start + len(window):<5} "
                    f"{elapsed / len(window) * 1000:.1f} ms/ns ({cpu / len(window) * 1000:.1f} ms CPU)",
                    flush=True,
                )
    else:
        platform = platform_settings_from_django(settings)
        members = (*(MemberBinding(u.pk, "developer") for u in users), MemberBinding(owner.pk, "admin"))
        for ns in existing:
            spec = TenantNamespaceSpec(
                name=ns.name,
                team_slug=team.slug,
                team_id=team.pk,
                namespace_id=ns.pk,
                trust_level=team.trust_level,
                members=members,
            )
            for obj in tenant_namespace_objects(spec, platform):
                obj["metadata"]["uid"] = str(uuid.uuid4())
                emulator.store.put(by_kind(obj["apiVersion"], obj["kind"]), obj)
    big_count = Namespace.objects.count()
    big = one_more(f"{big_count}")
    print(
        f"one more namespace, {big_count} vs {small_count} existing: {big[0] / small[0]:.2f}x the time, "
        f"{big[1] / small[1]:.2f}x the CPU time (console and emulator share this process)"
    )
    how = "provisioned" if large() else "in store and database"
    record_goal(
        f"provisioning time flat, {small_count} vs {big_count:,} existing ({how})",
        f"{small[0] * 1000:.1f} vs {big[0] * 1000:.1f} ms; CPU {small[1] * 1000:.1f} vs {big[1] * 1000:.1f} ms",
        big[1] / small[1],
        limit=FLAT,
    )
    emulator.stop()


if __name__ == "__main__":
    main()
