"""Plausible usage history for the demo namespaces, written the way the collector would have.

Per namespace: raw samples for the last day (``source="demo"``), rolled up by the real
rollup, and hourly rows straight from the same curves before that, back to the namespace's
creation. Demo samples are five-minute windows (or the metering interval, if longer): a
day of one-minute windows for every metric is too many rows to write in a few seconds,
and the day chart plots 15-minute steps anyway. Requests hold steady, usage follows a daily wave that is calmer
at weekends, storage grows in steps, and traffic rises and falls with the usage. A namespace
that already has demo samples is left alone, so a second run writes nothing.
"""

import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings

from metering.models import COUNTER_METRICS, ClusterState, Metric, UsageHourly, UsageSample
from metering.services.collector import align_window, cluster_states_ensure
from metering.services.rollup import usage_rollup
from tenants.models import Namespace, TrustLevel

GIB = 2**30
MIB = 2**20
SOURCE = "demo"
SAMPLED_HOURS = 24
SAMPLE_SECONDS = 300
SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Profile:
    """How one namespace behaves: cores, GiB, MiB of external egress per hour."""

    cpu_request: float
    cpu_limit: float
    cpu_usage: tuple[float, float]  # (quiet, peak) of the daily wave
    memory_request: float
    memory_limit: float
    memory_usage: tuple[float, float]
    storage: float  # GiB at creation, plus one GiB every ``storage_step_days``
    storage_step_days: int
    pods: int
    egress: tuple[float, float]
    peak_hour: int  # UTC hour of the daily peak

    def quiet_to_peak(self, moment: datetime) -> float:
        """0 at the quiet hour, 1 at the peak; weekends reach only 40 % of the way."""
        hours = moment.hour + moment.minute / 60
        wave = (1 + math.cos(2 * math.pi * (hours - self.peak_hour) / 24)) / 2
        return wave * (0.4 if moment.weekday() >= 5 else 1.0)


# platform-dev requests 0.9 of its 1 allocated core, so it shows up as near its limit.
PROFILES = {
    "platform-dev": Profile(0.9, 1.0, (0.2, 0.75), 1.5, 2.0, (0.8, 1.4), 4, 7, 7, (40, 260), 14),
    "platform-staging": Profile(0.5, 1.0, (0.08, 0.3), 1.0, 2.0, (0.5, 0.8), 4, 7, 4, (10, 60), 15),
    "research-ml": Profile(1.2, 2.0, (0.3, 1.8), 3.0, 4.0, (1.5, 3.6), 12, 5, 6, (5, 30), 2),
}
PERSONAL = Profile(0.25, 0.5, (0.03, 0.2), 0.5, 1.0, (0.2, 0.45), 2, 7, 2, (2, 25), 19)


def _jitter(key: str, moment: datetime, spread: float) -> float:
    """Deterministic noise in [-spread, +spread] for one metric and instant."""
    digest = zlib.crc32(f"{key}@{int(moment.timestamp())}".encode())
    return spread * ((digest % 2001) / 1000 - 1)


def _between(span: tuple[float, float], level: float) -> float:
    return span[0] + (span[1] - span[0]) * level


def rates(profile: Profile, name: str, born: datetime, moment: datetime) -> dict[str, float]:
    """Every metric at ``moment``: gauges in cores, bytes or counts; counters in bytes per second."""
    level = profile.quiet_to_peak(moment)
    storage = profile.storage + (moment - born).days // profile.storage_step_days
    egress = _between(profile.egress, level) * MIB / 3600 * (1 + _jitter(f"{name}/egress", moment, 0.15))
    return {
        Metric.CPU_REQUEST: profile.cpu_request,
        Metric.CPU_LIMIT: profile.cpu_limit,
        Metric.CPU_USAGE: _between(profile.cpu_usage, level) * (1 + _jitter(f"{name}/cpu", moment, 0.08)),
        Metric.MEMORY_REQUEST: profile.memory_request * GIB,
        Metric.MEMORY_LIMIT: profile.memory_limit * GIB,
        Metric.MEMORY_USAGE: _between(profile.memory_usage, level)
        * GIB
        * (1 + _jitter(f"{name}/memory", moment, 0.03)),
        Metric.STORAGE_REQUEST: storage * GIB,
        Metric.PODS: profile.pods,
        Metric.NET_EGRESS_EXTERNAL: egress,
        Metric.NET_INGRESS_EXTERNAL: egress * 0.3,
        Metric.NET_EGRESS_INTERNAL: egress * 1.6,
        Metric.NET_INGRESS_INTERNAL: egress * 2.4,
    }


def _quantity(metric: str, rate: float, seconds: int) -> Decimal:
    value = rate * seconds if metric in COUNTER_METRICS else rate
    if metric in (Metric.CPU_REQUEST, Metric.CPU_LIMIT, Metric.CPU_USAGE):
        return Decimal(str(round(value, 4)))
    return Decimal(round(value))


def profile_for(namespace: Namespace) -> Profile:
    return PROFILES.get(namespace.name, PERSONAL)


def runtime_for(namespace: Namespace) -> str:
    """What the runtime selection picks by default: plain runc for trusted teams, gVisor otherwise."""
    return "runc" if namespace.team.trust_level == TrustLevel.TRUSTED else "gvisor"


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class HistoryResult:
    hourly: int = 0
    samples: int = 0
    namespaces: int = 0
    skipped: int = 0
    last_window: datetime | None = None


def history_write(*, namespaces: list[Namespace], now: datetime) -> HistoryResult:
    """Write the history of every namespace that has none yet (see the module docstring)."""
    interval = max(SAMPLE_SECONDS, settings.METERING_INTERVAL_SECONDS)
    last_start, end = align_window(now, interval)
    sampled_from = _floor_hour(now) - timedelta(hours=SAMPLED_HOURS)
    done = set(
        UsageSample.objects.filter(namespace__in=namespaces, source=SOURCE)
        .values_list("namespace_id", flat=True)
        .distinct()
    )
    result = HistoryResult(skipped=len({n.pk for n in namespaces} & done))
    hourly: list[UsageHourly] = []
    samples: list[UsageSample] = []
    for namespace in namespaces:
        if namespace.pk in done:
            continue
        result.namespaces += 1
        profile, runtime = profile_for(namespace), runtime_for(namespace)
        born = _floor_hour(namespace.created_at)
        hour = born
        while hour < sampled_from:
            for metric, rate in rates(profile, namespace.name, born, hour + timedelta(minutes=30)).items():
                hourly.append(
                    UsageHourly(
                        namespace=namespace,
                        metric=metric,
                        hour=hour,
                        quantity=_quantity(metric, rate, 3600),
                        coverage=Decimal(1),
                        samples=3600 // interval,
                        runtime_class=runtime,
                    )
                )
            hour += timedelta(hours=1)
        window = max(born, sampled_from)
        while window < end:
            for metric, rate in rates(profile, namespace.name, born, window).items():
                samples.append(
                    UsageSample(
                        namespace=namespace,
                        metric=metric,
                        window_start=window,
                        window_end=window + timedelta(seconds=interval),
                        quantity=_quantity(metric, rate, interval),
                        source=SOURCE,
                        runtime_class=runtime,
                    )
                )
            window += timedelta(seconds=interval)
    UsageHourly.objects.bulk_create(hourly, batch_size=2000, ignore_conflicts=True)
    UsageSample.objects.bulk_create(samples, batch_size=2000, ignore_conflicts=True)
    result.hourly, result.samples = len(hourly), len(samples)
    if samples:
        result.hourly += usage_rollup(now=now, lookback_hours=SAMPLED_HOURS)
        result.last_window = last_start
        _mark_collected(last_start)
    return result


def _mark_collected(window_start: datetime) -> None:
    """Point each cluster's latest window at the last demo window, so quota bars and
    near-limit warnings read it until the collector measures the next one. Never backwards."""
    for state in cluster_states_ensure():
        if state.last_window_start is None or state.last_window_start < window_start:
            ClusterState.objects.filter(pk=state.pk).update(last_window_start=window_start)
