"""The console on several processes against one PostgreSQL and one Redis: `make scale-check`.

Starts, through the image's entrypoint (deploy/entrypoint.sh), gunicorn with 2 worker
processes, 2 Celery workers and 2 beats (one leads, one stands by), with the Kubernetes API
emulator in this process, and then:

1. migrates a fresh database with two `migrate` runs at once (the race of two upgrades);
2. drives simulated users from a second process over loopback (bench/scale_load.py) through
   pages and API calls: errors, p50/p95/p99 per page, and each page's median over the bare
   base template's;
3. provisions namespaces through both workers and SIGKILLs one worker half way: every
   namespace ends applied, and the emulator's writes to each Namespace object are counted;
4. bills one day for many teams with two bill runs at once (they split the teams through
   row claims), SIGKILLs one worker half way, and compares every line and ledger entry with
   a single-process run over the same data;
5. kills the leading beat and times the standby's takeover.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.scale_check [--duration 300] [--users 50] [--namespaces 500] [--teams 2000]

Uses its own database `tenantry_scale` on that server and Redis database 7 (both wiped).
"""

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import Request, urlopen

from bench._setup import default_cluster_id, insert_usage_hourly
from kubeemu.testing import wait_for

REPO = Path(__file__).resolve().parent.parent
DB_NAME = "tenantry_scale"
REDIS_DB = 7
TOKEN = "scale-check-metrics-token"
VISIBILITY_SECONDS = 30
KILL_AT = 0.4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, token: str = "") -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urlopen(Request(url, headers=headers), timeout=5) as resp:
            return resp.status, resp.read().decode()
    except OSError:
        return 0, ""


class Stack:
    """Child processes, each in its own process group (a SIGKILL takes the whole worker)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], **extra: str) -> subprocess.Popen:
        env = {
            **self.env,
            "TENANTRY_VAR_DIR": str(self.workdir / name),
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / name / "prometheus"),
            **extra,
        }
        log = (self.workdir / f"{name}.log").open("a")
        proc = subprocess.Popen(
            [str(REPO / "deploy" / "entrypoint.sh"), *args],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def migrate_twice_at_once(stack: Stack) -> None:
    print("== 1. two migrations at once on a fresh database", flush=True)
    started = time.perf_counter()
    runs = [stack.start(f"migrate-{n}", ["migrate"]) for n in (1, 2)]
    codes = [proc.wait(timeout=600) for proc in runs]
    for n in (1, 2):
        stack.procs.pop(f"migrate-{n}")
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        applied = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        doubled = conn.execute(
            "SELECT count(*) FROM (SELECT app, name FROM django_migrations GROUP BY 1, 2 HAVING count(*) > 1) d"
        ).fetchone()[0]
    logs = [(stack.workdir / f"migrate-{n}.log").read_text() for n in (1, 2)]
    idle = sum("No migrations to apply" in log for log in logs)
    print(
        f"exit codes {codes}; {applied} migrations recorded, {doubled} twice; "
        f"{idle} of the 2 runs waited and found nothing to apply; {time.perf_counter() - started:.1f} s"
    )
    assert codes == [0, 0] and doubled == 0 and idle == 1, "migrations raced"


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    import logging

    from django.conf import settings

    logging.disable(logging.WARNING)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # balance notices


def seed(*, users: int, teams: int, now: datetime) -> dict:
    """Load users with their teams, namespaces and three days of usage; billing teams with one
    namespace and yesterday's usage each. Usage goes in with SQL, the rest through the ORM."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from billing.models import PriceBook
    from clusters.models import NamespaceProvisioning
    from tenants.models import Namespace, Team, TeamMembership
    from tenants.services.tokens import api_token_create

    started = time.perf_counter()
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    PriceBook.objects.create(
        currency="USD", version=1, effective_from=datetime(2020, 1, 1, tzinfo=UTC),
        cpu_core_hour="0.04", memory_gib_hour="0.005", storage_gib_hour="0.0001",
        gpu_hour="1.5", egress_gib="0.09", load_balancer_hour="0.025",
    )  # fmt: skip
    User = get_user_model()
    people = User.objects.bulk_create(
        User(username=f"load{n}", email=f"load{n}@scale.test", is_active=True) for n in range(users)
    )
    load_teams = Team.objects.bulk_create(
        Team(name=f"Load {n}", slug=f"load-{n}", trust_level="trusted", time_zone="UTC",
             billing_mode="prepaid" if n % 2 else "invoiced")
        for n in range(users)
    )  # fmt: skip
    TeamMembership.objects.bulk_create(
        TeamMembership(team=t, user=u, role="owner") for t, u in zip(load_teams, people, strict=True)
    )
    Namespace.objects.bulk_create(
        Namespace(cluster_id=default_cluster_id(), team=t, name=f"{t.slug}-{k}", status="ready")
        for t in load_teams
        for k in ("dev", "prod")
    )
    bill_teams = Team.objects.bulk_create(
        (
            Team(name=f"Bill {n}", slug=f"bill-{n}", trust_level="trusted", time_zone="UTC",
                 billing_mode="prepaid" if n % 2 else "invoiced")
            for n in range(teams)
        ),
        batch_size=1000,
    )  # fmt: skip
    Namespace.objects.bulk_create(
        (
            Namespace(cluster_id=default_cluster_id(), team=t, name=f"{t.slug}-app", status="ready")
            for t in bill_teams
        ),
        batch_size=1000,
    )
    Team.objects.filter(slug__startswith="load-").update(created_at=today - timedelta(days=3))
    Team.objects.filter(slug__startswith="bill-").update(created_at=today - timedelta(days=1))
    # Seeded namespaces are not on the emulator: keep the periodic reconcile off them, so the
    # workers' queue holds only what each phase sends.
    Namespace.objects.update(created_at=today - timedelta(days=3))
    NamespaceProvisioning.objects.bulk_create(
        (NamespaceProvisioning(namespace_id=pk) for pk in Namespace.objects.values_list("pk", flat=True)),
        batch_size=1000,
        ignore_conflicts=True,
    )
    NamespaceProvisioning.objects.update(last_reconciled_at=now + timedelta(days=1))
    with connection.cursor() as cur:
        for prefix, first, hours in (
            ("load-", today - timedelta(days=3), 72),
            ("bill-", today - timedelta(days=1), 24),
        ):
            insert_usage_hourly(
                cur,
                start=first,
                hours=hours,
                team_slug_like=prefix + "%",
                updated_at=today - timedelta(days=2),
            )
        cur.execute("ANALYZE")
    credentials = []
    for user, team in zip(people, load_teams, strict=True):
        client = Client()
        client.force_login(user)
        _, raw = api_token_create(user=user, name="scale check")
        credentials.append(
            {
                "session": client.cookies["sessionid"].value,
                "token": raw,
                "team": team.slug,
                "namespaces": [f"{team.slug}-dev", f"{team.slug}-prod"],
            }
        )
    print(f"seeded {users} users and {teams} billing teams in {time.perf_counter() - started:.1f} s")
    return {"credentials": credentials}


def billing_snapshot() -> dict:
    from billing.models import BillingAccount, Charge, LedgerEntry

    teams = {"team__slug__startswith": "bill-"}
    return {
        "charges": sorted(
            (slug, key, str(amount), str(quantity), provisional, revision)
            for slug, key, amount, quantity, provisional, revision in Charge.objects.filter(
                **teams
            ).values_list("team__slug", "key", "amount", "quantity", "provisional", "revision")
        ),
        "ledger": sorted(
            (slug, key, str(amount))
            for slug, key, amount in LedgerEntry.objects.filter(**teams).values_list(
                "team__slug", "key", "amount"
            )
        ),
        "balances": sorted(
            (slug, str(balance), band)
            for slug, balance, band in BillingAccount.objects.filter(**teams).values_list(
                "team__slug", "balance", "band"
            )
        ),
    }


def bill_reference(now: datetime) -> dict:
    """One bill run in this one process: what the workers must reproduce exactly. The billing
    teams' results are then removed, so they are due again; the load teams keep theirs."""
    from billing.models import (
        BilledDay,
        BillingAccount,
        BillingNotice,
        BillRun,
        Charge,
        LedgerEntry,
        Statement,
    )
    from billing.services.runs import teams_bill_due

    started = time.perf_counter()
    run = teams_bill_due(now=now, trigger="scale-reference")
    elapsed = time.perf_counter() - started
    assert not run.errors, run.errors[:3]
    reference = billing_snapshot()
    teams = {"team__slug__startswith": "bill-"}
    LedgerEntry.objects.filter(**teams).delete()
    Charge.objects.filter(**teams).delete()
    Statement.objects.filter(**teams).delete()
    BilledDay.objects.filter(**teams).delete()
    BillingNotice.objects.filter(**teams).delete()
    BillingAccount.objects.filter(**teams).delete()
    BillRun.objects.all().delete()
    print(
        f"single-process reference run: {run.teams_billed} teams, {run.lines_written} lines in {elapsed:.1f} s "
        f"({len(reference['charges'])} lines, {len(reference['ledger'])} ledger entries for the billing teams)"
    )
    return reference


def start_processes(stack: Stack, ports: dict[str, int]) -> None:
    stack.start("web", ["web"], GUNICORN_BIND=f"127.0.0.1:{ports['web']}", GUNICORN_WORKERS="2")
    for name in ("worker-a", "worker-b"):
        start_worker(stack, name, ports[name])
    for name in ("beat-1", "beat-2"):
        stack.start(name, ["beat"], METRICS_PORT=str(ports[name]))
    wait_for(lambda: http_get(f"http://127.0.0.1:{ports['web']}/readyz")[0] == 200, timeout=120)
    for name in ("worker-a", "worker-b", "beat-1", "beat-2"):
        wait_for(lambda n=name: http_get(f"http://127.0.0.1:{ports[n]}/healthz")[0] == 200, timeout=120)


def start_worker(stack: Stack, name: str, port: int) -> None:
    stack.start(name, ["worker", "--concurrency", "1", "--hostname", f"{name}@scale"], METRICS_PORT=str(port))


def beat_leaders(ports: dict[str, int], names=("beat-1", "beat-2")) -> list[str]:
    leaders = []
    for name in names:
        _, text = http_get(f"http://127.0.0.1:{ports[name]}/metrics", TOKEN)
        if re.search(r"^tenantry_beat_leader(\{[^}]*\})? 1\.0$", text, re.MULTILINE):
            leaders.append(name)
    return leaders


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def load_test(workdir: Path, credentials: list[dict], url: str, duration: float) -> None:
    print(f"== 2. {len(credentials)} users for {duration:.0f} s over loopback", flush=True)
    users_file = workdir / "users.json"
    users_file.write_text(json.dumps(credentials))
    out = workdir / "load.json"
    subprocess.run(
        [sys.executable, "-m", "bench.scale_load", str(users_file), url, str(duration), str(out)],
        cwd=REPO,
        check=True,
    )
    result = json.loads(out.read_text())
    by_page: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for page, status, seconds in result["requests"]:
        by_page.setdefault(page, []).append(seconds)
        if status != 200:
            errors[f"{page}: {status}"] += 1
    base = statistics.median(by_page["bare base template"])
    total = len(result["requests"])
    print(f"{total} requests, {total / duration:.1f}/s, {sum(errors.values())} errors {dict(errors) or ''}")
    print(f"{'page':<20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50 / bare':>10}")
    for page, values in sorted(by_page.items()):
        values.sort()
        print(
            f"{page:<20} {len(values):>8} {percentile(values, 0.5) * 1000:>8.1f} {percentile(values, 0.95) * 1000:>8.1f} "
            f"{percentile(values, 0.99) * 1000:>8.1f} {statistics.median(values) / base:>10.2f}"
        )
    assert not errors, f"{sum(errors.values())} requests failed"


def provision(stack: Stack, ports: dict[str, int], emulator, count: int) -> None:
    from clusters.models import NamespaceProvisioning
    from clusters.tasks import schedule_provisioning
    from tenants.models import Namespace, NamespaceMembership, Team, TeamMembership

    print(
        f"== 3. provision {count} namespaces through 2 workers; SIGKILL worker-a at {KILL_AT:.0%}", flush=True
    )
    from django.contrib.auth import get_user_model

    User = get_user_model()
    team = Team.objects.create(name="Provisioning", slug="prov", trust_level="trusted", plan="enterprise")
    members = [User.objects.create(username=f"prov{n}", email=f"prov{n}@scale.test") for n in range(3)]
    TeamMembership.objects.bulk_create(
        TeamMembership(team=team, user=u, role="owner" if n == 0 else "member") for n, u in enumerate(members)
    )
    namespaces = Namespace.objects.bulk_create(
        Namespace(cluster_id=default_cluster_id(), team=team, name=f"prov-{n}") for n in range(count)
    )
    NamespaceProvisioning.objects.bulk_create(NamespaceProvisioning(namespace=ns) for ns in namespaces)
    NamespaceMembership.objects.bulk_create(
        NamespaceMembership(namespace=ns, user=u, role="developer") for ns in namespaces for u in members[1:]
    )
    emulator.reset_counters()
    started = time.monotonic()
    for ns in namespaces:
        schedule_provisioning(ns.pk)
    ready = Namespace.objects.filter(team=team, status="ready")
    wait_for(lambda: ready.count() >= KILL_AT * count, timeout=600, interval=0.05)
    in_flight = set(
        Namespace.objects.filter(team=team)
        .exclude(status="ready")
        .exclude(provisioning__lease_owner="")
        .values_list("name", flat=True)
    )
    done_at_kill = ready.count()
    stack.kill("worker-a")
    killed = time.monotonic()
    print(
        f"worker-a killed with {done_at_kill} ready, {len(in_flight)} leased at that moment: {sorted(in_flight)}"
    )
    wait_for(lambda: ready.count() == count, timeout=900, interval=0.5)
    finished = time.monotonic()
    writes: Counter[str] = Counter()
    pattern = re.compile(r"^/api/v1/namespaces/(prov-\d+)(?:\?.*)?$")
    for verb, _method, path in emulator.counts()["requests"]:
        match = pattern.match(path)
        if match and verb in {"create", "patch", "update", "apply"}:
            writes[match.group(1)] += 1
    on_cluster = {
        ns["metadata"]["name"]
        for ns in emulator.list_objects("v1", "Namespace")
        if ns["metadata"]["name"].startswith("prov-")
    }
    twice = {name: n for name, n in writes.items() if n != 1}
    print(
        f"all {count} ready in {finished - started:.1f} s ({finished - killed:.1f} s after the kill); "
        f"{len(on_cluster)} on the cluster; writes per Namespace object: {dict(Counter(writes.values()))}"
    )
    print(
        f"applied more than once: {twice or 'none'} (in flight on the killed worker: {sorted(in_flight & set(twice)) or 'none'})"
    )
    assert len(on_cluster) == count and len(writes) == count, "namespaces lost"
    assert set(twice) <= in_flight, "a namespace not in flight on the killed worker was applied twice"
    start_worker(stack, "worker-a", ports["worker-a"])
    wait_for(
        lambda: http_get(f"http://127.0.0.1:{ports['worker-a']}/healthz")[0] == 200,
        timeout=120,
    )


def bill(stack: Stack, reference: dict, teams: int, now: datetime) -> None:
    from billing.models import BillingAccount, BillRun
    from billing.tasks import billing_hourly

    print(
        f"== 4. bill one day for {teams} teams with 2 runs on 2 workers; SIGKILL worker-b at {KILL_AT:.0%}",
        flush=True,
    )
    yesterday = (now - timedelta(days=1)).date()
    billed = BillingAccount.objects.filter(team__slug__startswith="bill-", last_billed_day=yesterday)
    started = time.monotonic()
    billing_hourly.delay()
    billing_hourly.delay()
    wait_for(lambda: billed.count() >= KILL_AT * teams, timeout=600, interval=0.05)
    at_kill = billed.count()
    stack.kill("worker-b")
    killed = time.monotonic()
    print(f"worker-b killed with {at_kill} of {teams} teams billed")
    # Teams claimed by the killed run stay claimed for BILLING_CLAIM_LEASE_MINUTES; beat's next
    # hourly run takes them. Here the check sends that run itself every 20 s until done.
    extra = 0
    while billed.count() < teams:
        if time.monotonic() - killed > 900:
            raise SystemExit("scale check: billing did not finish within 15 min of the kill")
        time.sleep(20)
        if billed.count() < teams:
            billing_hourly.delay()
            extra += 1
    finished = time.monotonic()
    got = billing_snapshot()
    runs = list(
        BillRun.objects.order_by("started_at").values_list("started_at", "finished_at", "teams_billed")
    )
    print(
        f"all {teams} billed in {finished - started:.1f} s ({finished - killed:.1f} s after the kill; "
        f"{extra} more runs sent, as beat's hourly run would)"
    )
    print(
        "bill runs (start, seconds, teams billed): "
        + ", ".join(
            f"({s:%H:%M:%S}, {(f - s).total_seconds():.1f}, {n})" if f else f"({s:%H:%M:%S}, killed)"
            for s, f, n in runs
        )
    )
    same = {part: got[part] == reference[part] for part in reference}
    lines, ledger = len(got["charges"]), len(got["ledger"])
    duplicates = len(got["charges"]) - len({c[1] for c in got["charges"]})
    total = sum(float(c[2]) for c in got["charges"])
    ref_total = sum(float(c[2]) for c in reference["charges"])
    print(
        f"{lines} lines (reference {len(reference['charges'])}), {ledger} ledger entries "
        f"(reference {len(reference['ledger'])}), {duplicates} duplicate keys; total {total:.3f} vs {ref_total:.3f}; "
        f"identical to the single-process run: {same}"
    )
    assert all(same.values()), "multi-worker billing differs from the single-process run"


def beat_takeover(stack: Stack, ports: dict[str, int]) -> None:
    print("== 5. beat: one leader; SIGKILL it and time the standby's takeover", flush=True)
    leaders = wait_for(lambda: beat_leaders(ports), timeout=60)
    assert len(leaders) == 1, f"two beats lead: {leaders}"
    (leader,) = leaders
    standby = "beat-2" if leader == "beat-1" else "beat-1"
    stack.kill(leader)
    killed = time.monotonic()
    wait_for(lambda: beat_leaders(ports, names=(standby,)), timeout=120, interval=0.5)
    print(
        f"{leader} led, {standby} stood by; {standby} took over {time.monotonic() - killed:.1f} s after the kill"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams", type=int, default=2000)
    args = parser.parse_args()
    # Stopped from outside (Ctrl-C, kill): still stop every process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    admin_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")) or not redis_url.startswith("redis://"):
        print("scale check: set DATABASE_URL (PostgreSQL) and REDIS_URL (redis://); it uses its own database")
        print(f"  '{DB_NAME}' there and Redis database {REDIS_DB}. Skipped.")
        return
    workdir = Path(tempfile.mkdtemp(prefix="tenantry-scale-"))
    print(f"scale check: logs in {workdir}", flush=True)
    recreate_database(admin_url)
    redis_url = with_path(redis_url, f"/{REDIS_DB}")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    ports = {name: free_port() for name in ("web", "worker-a", "worker-b", "beat-1", "beat-2")}
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": with_path(admin_url, f"/{DB_NAME}"),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.scale_settings",
        "DEBUG": "0",
        "SECRET_KEY": "scale-check-secret-key-0123456789abcdefghijklmnop",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": TOKEN,
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
        "BILLING_CLAIM_LEASE_MINUTES": "1",
        "TENANTRY_VAR_DIR": str(workdir / "orchestrator"),
    }
    stack = Stack(workdir, env)
    try:
        migrate_twice_at_once(stack)
        setup_django(env)
        from django.conf import settings

        from clusters.connections import forget_gateways
        from kubeemu.server import KubeEmulator

        emulator = KubeEmulator().start()
        # A killed worker leaves connections that the emulator would report with a traceback each.
        emulator._server.handle_error = lambda request, address: None
        kubeconfig = emulator.write_kubeconfig(workdir / "kubeconfig")
        settings.KUBECONFIG = stack.env["KUBECONFIG"] = str(kubeconfig)
        forget_gateways()
        now = datetime.now(UTC)
        seeded = seed(users=args.users, teams=args.teams, now=now)
        reference = bill_reference(now)
        start_processes(stack, ports)
        print(
            f"started: gunicorn (2 workers), worker-a, worker-b, beat-1, beat-2; leading beat: {beat_leaders(ports)}"
        )
        load_test(workdir, seeded["credentials"], f"http://127.0.0.1:{ports['web']}", args.duration)
        provision(stack, ports, emulator, args.namespaces)
        bill(stack, reference, args.teams, now)
        beat_takeover(stack, ports)
        print("scale check: OK")
    finally:
        stack.stop_all()


if __name__ == "__main__":
    main()
