"""The ten main pages against a bare view of the base template, with a full database.

First a small world (one team "acme" with 2 namespaces, its owner, a finance user, a staff
user) is measured: each page's query count there is the "2 rows" figure. Then the database is
filled with 20,000 namespaces, 100,000 users and 30 days of hourly usage for acme's namespaces
(the ones the pages show), and every page is measured again, as a user who may see it, with
Django's test client: the median time of RUNS requests, and the same for ``/_bench/base``
(``bench/scale_urls.py``: the base template and nothing else). Issue 15's goal: each page
at most 2x the bare view, with the query count of the small world. Never asserts on time; exits
non-zero only when a page does not answer 200.

    python -m bench bench_pages "team detail" dashboard    # only the pages whose labels are given
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench._setup import USAGE_METRICS, default_cluster_id, django_with_temp_sqlite, quick, record_goal

# (label, URL name, arguments, persona)
PAGES = (
    ("dashboard", "dashboard", (), "owner"),
    ("team detail", "team_detail", ("acme",), "owner"),
    ("namespace detail", "namespace_detail", ("acme-dev",), "owner"),
    ("namespace usage", "metering:namespace_usage", ("acme-dev",), "owner"),
    ("team quota", "metering:team_quota", ("acme",), "owner"),
    ("team billing", "billing:team", ("acme",), "owner"),
    ("access (kubeconfig)", "access", (), "owner"),
    ("tokens", "token_list", (), "owner"),
    ("finance index", "billing:finance_index", (), "finance"),
    ("staff cluster list", "cluster_list", (), "admin"),
)
GOAL_RATIO = 2.0
# (namespaces, users, days of usage, namespaces and members of acme among them)
FULL = (20_000, 100_000, 30, 200, 200)
QUICK = (2_000, 10_000, 7, 20, 20)
RUNS = 7 if quick() else 15
BATCH = 2_000


def _small_world() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from tenants.models import Namespace, Team, TeamMembership
    from tenants.services.tokens import api_token_create

    User = get_user_model()
    team = Team.objects.create(name="Acme", slug="acme", trust_level="trusted")
    namespaces = [
        Namespace.objects.create(cluster_id=default_cluster_id(), team=team, name=name, status="ready")
        for name in ("acme-dev", "acme-prod")
    ]
    _allocate([team], namespaces)
    _cluster_state()
    owner = User.objects.create(username="owner", email="owner@example.com")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    for n in range(2):
        api_token_create(user=owner, name=f"token {n}")
    finance = User.objects.create(username="finance", email="finance@example.com")
    finance.groups.add(Group.objects.get_or_create(name="finance")[0])
    admin = User.objects.create(username="admin", email="admin@example.com", is_staff=True, is_superuser=True)
    return {"owner": owner, "finance": finance, "admin": admin, "team": team}


def _allocate(teams: list, namespaces: list, held: dict[int, int] | None = None) -> None:
    """What provisioning gives every team and namespace: the team's quota and each namespace's
    default allocation (the plan's), as rows. A team's quota covers what its namespaces hold:
    the plan's amounts, or as many default allocations as it has namespaces (``held`` names a
    team's count where ``namespaces`` are not all of them)."""
    from metering.amounts import RESOURCES, apply_amounts, plan_defaults
    from metering.models import NamespaceQuota, TeamQuota

    counts = {team.pk: 0 for team in teams}
    for namespace in namespaces:
        counts[namespace.team_id] = counts.get(namespace.team_id, 0) + 1
    counts.update(held or {})
    quotas = []
    for team in teams:
        amounts, max_namespaces, default = plan_defaults(team.plan)
        count = counts[team.pk]
        quota = TeamQuota(team=team, max_namespaces=max(max_namespaces, count))
        apply_amounts(quota, amounts)
        for resource in RESOURCES:
            setattr(quota, resource.field, max(getattr(quota, resource.field), default[resource.key] * count))
        quotas.append(quota)
    TeamQuota.objects.bulk_create(quotas, batch_size=BATCH)
    allocations = []
    for namespace in namespaces:
        allocation = NamespaceQuota(namespace=namespace)
        apply_amounts(allocation, plan_defaults(namespace.team.plan)[2])
        allocations.append(allocation)
    NamespaceQuota.objects.bulk_create(allocations, batch_size=BATCH)


def _cluster_state() -> None:
    """The default cluster as the workers leave it: discovered, and measured a minute ago."""
    from metering.models import ClusterState

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ClusterState.objects.update_or_create(
        cluster_id=default_cluster_id(),
        defaults={
            "last_window_start": now - timedelta(minutes=1),
            "last_collected_at": now,
            "discovered_at": now,
            "allocatable_cpu_millicores": 64_000,
            "allocatable_memory_bytes": 256 * 2**30,
            "allocatable_gpus": 0,
            "node_count": 4,
        },
    )


def _fill(
    world: dict, namespaces: int, users: int, days: int, acme_namespaces: int, acme_members: int
) -> float:
    """Bulk inserts: users, one team per five users with one member each and the namespaces
    spread over those teams; acme grows to its share; then hourly usage for acme's namespaces."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from metering.models import TeamQuota
    from metering.services.rollup import quarters_rollup, usage_rollup
    from tenants.models import Namespace, Team, TeamMembership

    started = time.perf_counter()
    User = get_user_model()
    people = User.objects.bulk_create(
        (User(username=f"user{n}", email=f"user{n}@bench.test") for n in range(users)), batch_size=BATCH
    )
    teams = Team.objects.bulk_create(
        (Team(name=f"Team {n}", slug=f"team-{n}", trust_level="trusted") for n in range(users // 5)),
        batch_size=BATCH,
    )
    TeamMembership.objects.bulk_create(
        (TeamMembership(team=teams[n // 5], user=u, role="owner" if n % 5 == 0 else "member")
         for n, u in enumerate(people[acme_members:])),
        batch_size=BATCH,
    )  # fmt: skip
    TeamMembership.objects.bulk_create(
        TeamMembership(team=world["team"], user=u, role="member") for u in people[:acme_members]
    )
    cluster = default_cluster_id()
    others = namespaces - acme_namespaces
    created = Namespace.objects.bulk_create(
        [Namespace(cluster_id=cluster, team=teams[n % len(teams)], name=f"ns-{n}", status="ready")
         for n in range(others)],
        batch_size=BATCH,
    )  # fmt: skip
    created += Namespace.objects.bulk_create(
        Namespace(cluster_id=cluster, team=world["team"], name=f"acme-{n}", status="ready")
        for n in range(acme_namespaces - 2)  # acme-dev and acme-prod are already there
    )
    TeamQuota.objects.filter(team=world["team"]).delete()  # acme's grows with its namespaces
    _allocate([*teams, world["team"]], created, held={world["team"].pk: acme_namespaces})
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    with connection.cursor() as cur:  # SQLite: one INSERT … SELECT over a recursive hour series
        cur.execute(
            """WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n + 1 < %s),
                    m(metric) AS (SELECT value FROM json_each(%s))
               INSERT INTO metering_usagehourly
                 (namespace_id, metric, hour, quantity, coverage, samples, runtime_class,
                  storage_class, updated_at)
               SELECT ns.id, m.metric, strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || h.n || ' hours'),
                      CASE m.metric WHEN 'cpu_request' THEN 0.5
                                    WHEN 'cpu_usage' THEN (ns.id %% 7) * 0.1 + (h.n %% 24) * 0.01
                                    WHEN 'memory_request' THEN 1073741824
                                    WHEN 'memory_usage' THEN 536870912 + ns.id * 1000
                                    WHEN 'storage_request' THEN 10737418240
                                    ELSE 1048576 * (h.n %% 24) END,
                      1, 12, 'gvisor', '', %s
               FROM tenants_namespace ns CROSS JOIN h CROSS JOIN m
               WHERE ns.team_id = %s""",
            [
                days * 24,
                "[" + ",".join(f'"{m}"' for m in USAGE_METRICS) + "]",
                start.strftime("%Y-%m-%d %H:%M:%S"),
                start.strftime("%Y-%m-%d %H:%M:%S"),
                world["team"].pk,
            ],
        )
        _samples(cur, ["acme-dev", "acme-prod"])
    # The rollups the workers run: at five past every hour the hours and quarter hours of the
    # samples, at 20, 35 and 50 past the quarter hours between.
    now = datetime.now(UTC)
    usage_rollup(now=now, lookback_hours=26)
    quarters_rollup(now=now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return time.perf_counter() - started


def _samples(cur, names: list[str]) -> None:
    """The raw samples the collector keeps (``METERING_RAW_RETENTION_DAYS``) for the last 25
    hours of the namespaces ``names``, every chart's metric each ``METERING_INTERVAL_SECONDS``
    (amounts inside the default allocation):
    what the usage page's default range (24 hours) reads. The other namespaces' samples are
    left out (35 days of 20,000 namespaces would be billions of rows); the page reads one
    namespace's through the (namespace, metric, window) index."""
    from django.conf import settings

    from metering.selectors import CHART_GROUPS

    interval = settings.METERING_INTERVAL_SECONDS
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(hours=25)
    metrics = [metric for _, _, group in CHART_GROUPS for metric in group]
    cur.execute(  # SQLite: one INSERT … SELECT over a recursive window series
        """WITH RECURSIVE w(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM w WHERE n + 1 < %s),
                m(metric) AS (SELECT value FROM json_each(%s))
           INSERT INTO metering_usagesample
             (namespace_id, metric, window_start, window_end, quantity, source, is_gap,
              runtime_class, storage_class, collected_at)
           SELECT ns.id, m.metric,
                  strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || (w.n * %s) || ' seconds'),
                  strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || ((w.n + 1) * %s) || ' seconds'),
                  CASE WHEN m.metric LIKE 'cpu%%' THEN 0.25 + (w.n %% 60) * 0.01
                       WHEN m.metric LIKE 'memory%%' THEN 536870912 + (w.n %% 60) * 4194304
                       WHEN m.metric = 'storage_request' THEN 5368709120
                       WHEN m.metric = 'pods' THEN 4 + (w.n %% 3)
                       WHEN m.metric LIKE 'net%%' THEN 1048576 * (1 + (w.n %% 7))
                       ELSE 0 END,
                  'metrics-server', 0, 'gvisor', '',
                  %s
           FROM tenants_namespace ns CROSS JOIN w CROSS JOIN m
           WHERE ns.name IN (SELECT value FROM json_each(%s))""",
        [
            25 * 3600 // interval,
            json.dumps(metrics),
            start.strftime("%Y-%m-%d %H:%M:%S"),
            interval,
            start.strftime("%Y-%m-%d %H:%M:%S"),
            interval,
            end.strftime("%Y-%m-%d %H:%M:%S"),
            json.dumps(names),
        ],
    )


def _measure(clients: dict, url: str, persona: str, runs: int) -> tuple[float, int, int]:
    """Median milliseconds over ``runs`` requests (after one warm-up), queries of the last one,
    and the status code."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = clients[persona]
    client.get(url)  # warm-up: templates compiled, caches filled
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries.captured_queries), response.status_code


def main() -> None:
    # As production runs: DEBUG off (Django's cached template loader either way, no debug
    # information kept on template nodes).
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-pages-not-secret")
    django_with_temp_sqlite()
    from django.conf import settings
    from django.test import Client
    from django.urls import clear_url_caches, reverse

    settings.ROOT_URLCONF = "bench.scale_urls"  # the console's URLs plus /_bench/base
    settings.ALLOWED_HOSTS = ["*"]
    clear_url_caches()
    world = _small_world()
    clients = {}
    for persona in ("owner", "finance", "admin"):
        clients[persona] = Client()
        clients[persona].force_login(world[persona])
    chosen = set(sys.argv[2:])
    unknown = chosen - {label for label, *_ in PAGES}
    if unknown:
        sys.exit(f"bench_pages: no page labelled {', '.join(sorted(unknown))}")
    urls = [
        (label, reverse(name, args=args), persona)
        for label, name, args, persona in PAGES
        if not chosen or label in chosen
    ]
    bare_url = reverse("bench-base")

    small = {label: _measure(clients, url, persona, 1) for label, url, persona in urls}
    namespaces, users, days, acme_namespaces, acme_members = QUICK if quick() else FULL
    fill_s = _fill(world, namespaces, users, days, acme_namespaces, acme_members)
    print(
        f"filled {namespaces:,} namespaces, {users:,} users, {days} days of hourly usage for acme's "
        f"{acme_namespaces} namespaces ({acme_members} members) in {fill_s:.1f} s; median of {RUNS} requests"
    )
    failures = []
    print(
        f"{'page':<20} {'ms':>7} {'bare ms':>7} {'ratio':>6} {'goal':>5} {'met':>4} "
        f"{'queries':>7} {'2 rows':>6} {'flat':>4}"
    )
    for label, url, persona in urls:
        bare_ms, _, bare_status = _measure(clients, bare_url, persona, RUNS)
        page_ms, queries, status = _measure(clients, url, persona, RUNS)
        if status != 200 or bare_status != 200 or small[label][2] != 200:
            failures.append(f"{label} {url}: {small[label][2]} small, {status} full, bare {bare_status}")
        ratio = page_ms / bare_ms
        print(
            f"{label:<20} {page_ms:>7.1f} {bare_ms:>7.1f} {ratio:>5.1f}x {f'<={GOAL_RATIO:g}x':>5} "
            f"{'yes' if ratio <= GOAL_RATIO else 'no':>4} {queries:>7} {small[label][1]:>6} "
            f"{'yes' if queries == small[label][1] else 'no':>4}",
            flush=True,
        )
        record_goal(
            f"Page {label} <= {GOAL_RATIO:g}x a bare view ({namespaces:,} namespaces)",
            f"{page_ms:.1f} vs {bare_ms:.1f} ms, {queries} queries (2 rows: {small[label][1]})",
            ratio,
            limit=GOAL_RATIO,
        )
    if failures:
        print("pages not answering 200:", *failures, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
