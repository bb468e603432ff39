"""The periodic bootstrap check against the emulator over HTTP.

Figures: what one check costs when nothing drifted (API calls, of which writes, and time), and
what healing a reset cluster costs with 10 and 100 (quick: 10) namespaces on it: the check
that restores the bootstrap objects, then the namespaces reconciled again (eager, in this
process), as calls and seconds in all and per namespace.
"""

import logging
import statistics
import time

from bench._setup import default_cluster_id, django_with_temp_sqlite, emulated_cluster, quick

SIZES = (10, 100)
QUICK_SIZES = (10,)
CHECKS = 20


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.contrib.auth import get_user_model

    from clusters.bootstrap import cluster_bootstrap_check
    from clusters.connections import default_cluster
    from clusters.tasks import provision_namespace
    from console.celery import app
    from tenants.models import Namespace, NamespaceStatus, Team, TeamMembership

    logging.disable(logging.WARNING)  # "created again", once per namespace of the reset cluster
    app.conf.task_always_eager = True
    emulator = emulated_cluster(workdir)
    team = Team.objects.create(name="Bench", slug="bench", trust_level="trusted")
    owner = get_user_model().objects.create(username="owner", email="owner@example.com")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    cluster_id = default_cluster_id()

    def provision(count: int, prefix: str) -> None:
        for ns in Namespace.objects.bulk_create(
            [Namespace(cluster_id=cluster_id, team=team, name=f"{prefix}-{i}") for i in range(count)]
        ):
            assert provision_namespace.apply((ns.pk,)).get() == "applied"

    provision(1, "warm")
    times, calls, writes = [], 0, 0
    for _ in range(CHECKS):
        emulator.reset_counters()
        started = time.perf_counter()
        result = cluster_bootstrap_check(cluster=default_cluster())
        times.append(time.perf_counter() - started)
        assert result.restored == [] and result.error == "", result
        counts = emulator.counts()
        calls, writes = counts["total"], counts["writes"]
    print(
        f"check, nothing drifted: median {statistics.median(times) * 1000:.1f} ms, "
        f"{calls} API calls ({writes} writes)"
    )

    print(f"{'namespaces':>10} {'heal s':>7} {'ms/ns':>6} {'API calls':>9} {'writes':>6}  (after a reset)")
    for size in QUICK_SIZES if quick() else SIZES:
        Namespace.objects.all().delete()
        emulator.reset()
        provision(size, f"ns{size}")
        emulator.reset()  # the cluster comes back empty
        emulator.reset_counters()
        started = time.perf_counter()
        # Outside a transaction the namespaces' reconciles run on commit, eagerly, right here.
        result = cluster_bootstrap_check(cluster=default_cluster())
        total = time.perf_counter() - started
        counts = emulator.counts()
        assert result.namespaces == size, result
        assert Namespace.objects.filter(status=NamespaceStatus.READY).count() == size
        print(
            f"{size:>10} {total:>7.2f} {total / size * 1000:>6.1f} {counts['total']:>9} {counts['writes']:>6}",
            flush=True,
        )
    emulator.stop()


if __name__ == "__main__":
    main()
