"""Provisioning on the local control plane (kube-apiserver 1.35) beside the emulator.

Figures: total time, time, API calls and writes per namespace against the objects per
namespace (goal: calls ≤ objects + 1) for 200 namespaces with 5 members each, through the worker
path, as the console's own identity on the real server and with the admin token on the
emulator; and the time per namespace of the first and the last tenth (0 vs 180 existing).
Needs `make cluster-bins`; without the binaries it says so.
"""

import statistics
import time
from collections import Counter

from bench._setup import default_cluster_id, django_with_temp_sqlite, quick, record_goal

NAMESPACES = 20 if quick() else 200
MEMBERS = 5
FLAT = 1.5  # the last tenth's median time per namespace at most this times the first tenth's


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from clusters.connections import forget_gateways
    from clusters.kube.gateway import KubeGateway
    from clusters.models import Cluster, NamespaceProvisioning
    from clusters.tasks import provision_namespace
    from console.celery import app
    from kubeemu.server import KubeEmulator
    from localcluster.binaries import BUILD_HINT, binaries
    from localcluster.identity import prepare
    from localcluster.launcher import LocalCluster
    from tenants.models import Namespace, NamespaceMembership, Team, TeamMembership

    bins = binaries()
    if bins.missing():
        print(f"skipped: Kubernetes {bins.kube_version} is not built; {BUILD_HINT}")
        return
    app.conf.task_always_eager = True
    calls: Counter[str] = Counter()
    request = KubeGateway._request

    def counted(self, method, path, **kwargs):
        calls[method] += 1
        return request(self, method, path, **kwargs)

    KubeGateway._request = counted  # type: ignore[method-assign]
    User = get_user_model()
    team = Team.objects.create(name="Bench", slug="bench", trust_level="trusted")
    users = [User(username=f"u{i}", email=f"u{i}@example.com") for i in range(MEMBERS)]
    User.objects.bulk_create(users)
    TeamMembership.objects.create(team=team, user=users[0], role="owner")
    TeamMembership.objects.bulk_create([TeamMembership(team=team, user=u, role="member") for u in users[1:]])

    def run(label: str, prefix: str) -> None:
        Namespace.objects.all().delete()  # the previous run's, which keep their cluster
        Cluster.objects.all().delete()
        default_cluster_id.cache_clear()  # the next call makes the default cluster again
        forget_gateways()
        namespaces = Namespace.objects.bulk_create(
            [
                Namespace(cluster_id=default_cluster_id(), team=team, name=f"{prefix}-{i}")
                for i in range(NAMESPACES + 1)
            ]
        )
        NamespaceProvisioning.objects.bulk_create([NamespaceProvisioning(namespace=ns) for ns in namespaces])
        NamespaceMembership.objects.bulk_create(
            [
                NamespaceMembership(namespace=ns, user=u, role="developer")
                for ns in namespaces
                for u in users[1:]
            ]
        )
        provision_namespace.apply((namespaces[0].pk,)).get()  # warm-up: bootstraps the cluster
        calls.clear()
        times = []
        for ns in namespaces[1:]:
            started = time.perf_counter()
            outcome = provision_namespace.apply((ns.pk,)).get()
            times.append(time.perf_counter() - started)
            assert outcome == "applied", (
                ns.name,
                outcome,
                NamespaceProvisioning.objects.get(pk=ns.pk).last_error,
            )
        total = sum(times)
        writes = sum(n for method, n in calls.items() if method != "GET")
        per_ns = sum(calls.values()) / NAMESPACES
        objects = [
            len(applied)
            for applied in NamespaceProvisioning.objects.filter(
                pk__in=[ns.pk for ns in namespaces[1:]]
            ).values_list("applied_objects", flat=True)
        ]
        per_ns_objects = sum(objects) / len(objects)
        tenth = max(1, NAMESPACES // 10)
        first, last = (statistics.median(part) * 1000 for part in (times[:tenth], times[-tenth:]))
        print(
            f"{label:<34} {NAMESPACES} namespaces x {MEMBERS} members: {total:.1f} s, "
            f"{total / NAMESPACES * 1000:.0f} ms/namespace, {per_ns:.1f} API calls/namespace "
            f"({writes / NAMESPACES:.1f} writes) for {per_ns_objects:.1f} objects "
            f"(goal <= objects + 1: {'met' if per_ns <= per_ns_objects + 1 else 'NOT MET'}); "
            f"median of the first {tenth} {first:.0f} ms, of the last {tenth} {last:.0f} ms ({last / first:.2f}x)",
            flush=True,
        )
        record_goal(
            f"provisioning on {label.split(' (')[0]}: calls <= objects + 1",
            f"{per_ns:.1f} calls ({writes / NAMESPACES:.1f} writes), {per_ns_objects:.1f} objects",
            per_ns / (per_ns_objects + 1),
            limit=1,
        )
        record_goal(
            f"provisioning on {label.split(' (')[0]}: flat over {NAMESPACES} namespaces",
            f"first {tenth} {first:.0f} ms, last {tenth} {last:.0f} ms, {total / NAMESPACES * 1000:.0f} ms mean",
            last / first,
            limit=FLAT,
        )

    with KubeEmulator() as emulator:
        settings.KUBECONFIG = str(emulator.write_kubeconfig(workdir / "kubeemu.kubeconfig"))
        run("emulator", "emu")
    with LocalCluster(bins) as cluster:
        settings.KUBECONFIG = str(prepare(cluster))
        run(f"kube-apiserver {bins.kube_version} (console SA)", "real")
    forget_gateways()


if __name__ == "__main__":
    main()
