"""The Workloads tab against the emulator over HTTPS, read as a namespace viewer.

Figures: time and API calls for the whole tab (every section's first page) and for one
section's next page, with 10 and with 2,000 pods in the namespace: the server-side pages
keep both flat. The first visit also issues the viewer's token (TokenRequest).
"""

import re
import statistics
import time
from urllib.parse import unquote

from bench._setup import default_cluster_id, django_with_temp_sqlite, emulated_cluster

SIZES = (10, 2000)
RUNS = 5


def main() -> None:
    workdir = django_with_temp_sqlite()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from clusters.tasks import provision_namespace
    from console.celery import app
    from kubeemu.registry import resource_of
    from kubeemu.testing import restricted_pod
    from tenants.models import Namespace, NamespaceMembership, Team, TeamMembership

    app.conf.task_always_eager = True
    settings.ALLOWED_HOSTS = ["*"]
    emulator = emulated_cluster(workdir)
    User = get_user_model()
    team = Team.objects.create(name="Bench", slug="bench", trust_level="trusted")
    owner = User.objects.create(username="owner", email="owner@example.com")
    viewer = User.objects.create(username="viewer", email="viewer@example.com")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    TeamMembership.objects.create(team=team, user=viewer, role="member")
    pods = resource_of("", "pods")
    client = Client()
    client.force_login(viewer)
    print(f"Workloads tab as a viewer, {settings.TENANTRY_PAGE_SIZE} rows a page, median of {RUNS} runs:")
    for size in SIZES:
        namespace = Namespace.objects.create(cluster_id=default_cluster_id(), team=team, name=f"bench-{size}")
        NamespaceMembership.objects.create(namespace=namespace, user=viewer, role="viewer")
        provision_namespace.apply((namespace.pk,))
        for index in range(size):  # seeded without admission: the bench measures reads
            pod = restricted_pod(f"pod-{index:05d}", namespace.name)
            pod["metadata"].update(
                uid=str(index), resourceVersion="1", creationTimestamp=emulator.store.timestamp()
            )
            emulator.store.put(pods, {**pod, "status": {"phase": "Running"}})
        url = reverse("namespace_workloads", args=[namespace.name])
        client.get(url)  # the viewer's token is issued on the first visit
        whole, calls = [], 0
        for _ in range(RUNS):
            emulator.reset_counters()
            started = time.perf_counter()
            response = client.get(url)
            whole.append((time.perf_counter() - started) * 1000)
            calls = emulator.counts()["total"]
        assert response.status_code == 200
        found = re.search(r"section=pods&amp;continue=([^\"#&]+)", response.content.decode())
        token = unquote(found.group(1)) if found else ""
        section = []
        for _ in range(RUNS):
            emulator.reset_counters()
            started = time.perf_counter()
            client.get(url, {"section": "pods", "continue": token}, headers={"HX-Request": "true"})
            section.append((time.perf_counter() - started) * 1000)
        print(
            f"  {size:>5} pods: whole tab {statistics.median(whole):6.1f} ms, {calls} API calls; "
            f"next page of pods {statistics.median(section):5.1f} ms, {emulator.counts()['total']} API call"
        )
    emulator.stop()


if __name__ == "__main__":
    main()
