"""Quarter hours: the rollup sums and counts a namespace's measured samples per metric and
quarter hour, and the usage page's 24-hour chart reads them, and the samples after the last
quarter written, instead of every sample — with the same values as from the samples alone,
on SQLite and PostgreSQL alike."""

import json
import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from metering.models import Metric, UsageQuarterHour, UsageSample
from metering.selectors import CHART_GROUPS, _stepped_usage, namespace_usage
from metering.services.rollup import QUARTER_RETENTION, quarters_rollup, usage_prune, usage_rollup
from metering.sqltime import quarter_ceiling

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 4, 12, 37, 20, tzinfo=UTC)
METRICS = [m for _, _, group in CHART_GROUPS for m in group]


def samples(namespace, *, hours: float, seed: int, until: datetime = NOW) -> None:
    """A sample a minute of every chart metric over the ``hours`` before ``until``, some of them
    gaps, storage in two StorageClasses, quantities that add up exactly in binary."""
    chooser = random.Random(seed)
    rows = []
    minutes = int(hours * 60)
    first = until.replace(second=0) - timedelta(minutes=minutes)
    for minute in range(minutes):
        start = first + timedelta(minutes=minute)
        for metric in METRICS:
            classes = ("fast", "slow") if metric == Metric.STORAGE_REQUEST else ("",)
            for storage_class in classes:
                gap = chooser.random() < 0.1
                rows.append(
                    UsageSample(
                        namespace=namespace, metric=metric, storage_class=storage_class,
                        window_start=start, window_end=start + timedelta(minutes=1), source="t",
                        is_gap=gap, quantity=None if gap else Decimal(chooser.randrange(0, 4000)) / 4,
                    )
                )  # fmt: skip
    UsageSample.objects.bulk_create(rows, batch_size=2000)


def day(namespace, *, now: datetime = NOW, quarters: bool) -> tuple[list[str], dict]:
    end = quarter_ceiling(now.replace(second=0, microsecond=0))
    return _stepped_usage(
        namespace=namespace,
        metrics=METRICS,
        start=end - timedelta(hours=24),
        end=end,
        step=900,
        quarters=quarters,
    )


def test_the_day_read_from_quarters_and_the_samples_after_them_is_the_day_read_from_samples(world):
    samples(world.namespace, hours=26, seed=1)
    samples(world.other_namespace, hours=26, seed=2)
    from_samples = day(world.namespace, quarters=False)
    assert not UsageQuarterHour.objects.exists()
    assert day(world.namespace, quarters=True) == from_samples  # the rollup never ran: samples alone
    usage_rollup(now=NOW, lookback_hours=30)  # quarters up to 12:00; 37 minutes of samples after
    assert UsageQuarterHour.objects.filter(namespace=world.namespace).count() > 90 * len(METRICS)
    assert day(world.namespace, quarters=True) == from_samples
    # The other namespace's quarters reach further: they move where its samples are read from,
    # not this one's.
    samples(world.other_namespace, hours=2, seed=3, until=NOW + timedelta(hours=2))
    usage_rollup(now=NOW + timedelta(hours=2), lookback_hours=3)
    assert day(world.namespace, quarters=True) == from_samples
    assert day(world.other_namespace, quarters=True) == day(world.other_namespace, quarters=False)


def test_a_quarter_holds_the_sum_and_count_of_its_measured_samples_across_storage_classes(world):
    start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    for minute, storage_class, quantity in [(0, "fast", 1), (0, "slow", 2), (14, "fast", 4), (15, "fast", 8)]:
        UsageSample.objects.create(
            namespace=world.namespace, metric=Metric.STORAGE_REQUEST, storage_class=storage_class,
            window_start=start + timedelta(minutes=minute), window_end=start + timedelta(minutes=minute + 1),
            quantity=quantity, source="t",
        )  # fmt: skip
    for minute in (30, 31):  # a quarter of gaps alone has no row
        UsageSample.objects.create(
            namespace=world.namespace, metric=Metric.STORAGE_REQUEST, window_start=start + timedelta(minutes=minute),
            window_end=start + timedelta(minutes=minute + 1), quantity=None, is_gap=True, source="t",
        )  # fmt: skip
    usage_rollup(now=start + timedelta(hours=1, minutes=5))
    rows = UsageQuarterHour.objects.order_by("window_start").values_list(
        "window_start", "window_end", "total", "measured"
    )
    assert list(rows) == [
        (start, start + timedelta(minutes=15), Decimal(7), 3),
        (start + timedelta(minutes=15), start + timedelta(minutes=30), Decimal(8), 1),
    ]


def test_a_late_sample_counts_from_the_next_rollup_and_unchanged_quarters_are_not_rewritten(world):
    samples(world.namespace, hours=3, seed=4)
    usage_rollup(now=NOW)
    before = day(world.namespace, quarters=True)
    late = UsageSample.objects.filter(
        namespace=world.namespace, is_gap=True, window_start__lt=NOW - timedelta(hours=1)
    )
    assert late.exists()
    late.update(is_gap=False, quantity=100)  # backfilled into the gaps
    assert day(world.namespace, quarters=True) == before  # until the rollup runs again
    untouched = UsageQuarterHour.objects.exclude(window_start__in=late.values("window_start")).values_list(
        "pk", "total", "measured"
    )
    usage_rollup(now=NOW)
    assert day(world.namespace, quarters=True) == day(world.namespace, quarters=False) != before
    assert set(untouched) <= set(UsageQuarterHour.objects.values_list("pk", "total", "measured"))


def test_the_24_hour_chart_steps_on_the_quarter_hours_up_to_the_one_in_progress(world):
    samples(world.namespace, hours=1, seed=5)
    usage = namespace_usage(namespace=world.namespace, range_key="24h", now=NOW)
    assert len(usage.moments) == 96
    assert usage.moments[-1] == datetime(2026, 3, 4, 12, 30, tzinfo=UTC).isoformat()
    assert usage.moments[0] == datetime(2026, 3, 3, 12, 45, tzinfo=UTC).isoformat()
    # The quarter in progress holds the samples of its first minutes.
    assert usage.values(Metric.CPU_USAGE)[-1] is not None


def test_quarters_older_than_their_retention_are_pruned(world):
    samples(world.namespace, hours=1, seed=6)
    usage_rollup(now=NOW)
    assert UsageQuarterHour.objects.exists()
    usage_prune(now=NOW + QUARTER_RETENTION - timedelta(hours=2))
    assert UsageQuarterHour.objects.exists()
    usage_prune(now=NOW + QUARTER_RETENTION + timedelta(hours=1))
    assert not UsageQuarterHour.objects.exists()


def test_quota_bars_read_the_latest_window_as_the_clusters_state_records_it(world):
    """The bars of a namespace loaded with its cluster's state (the compiled query) show what
    they show read without it (``_latest_samples``): the state's window, the namespace's own
    samples, a gap as unmeasured."""
    from clusters.models import Cluster
    from metering.models import ClusterState, NamespaceQuota
    from metering.selectors import namespace_quota_bars
    from tenants.selectors import namespace_for_user

    NamespaceQuota.objects.create(namespace=world.namespace, cpu_millicores=2000, memory_bytes=2**31, pods=10)
    latest = NOW.replace(second=0, microsecond=0)
    for namespace, base in ((world.namespace, 1), (world.other_namespace, 100)):
        for minutes_ago, factor in ((1, 2), (0, 1)):
            for metric, quantity in (
                (Metric.CPU_REQUEST, base * factor),
                (Metric.MEMORY_REQUEST, base * factor * 2**20),
            ):
                UsageSample.objects.create(
                    namespace=namespace, metric=metric, window_start=latest - timedelta(minutes=minutes_ago),
                    window_end=latest - timedelta(minutes=minutes_ago - 1), quantity=quantity, source="t",
                )  # fmt: skip
    UsageSample.objects.create(
        namespace=world.namespace, metric=Metric.PODS, window_start=latest, window_end=latest + timedelta(minutes=1),
        quantity=None, is_gap=True, source="t",
    )  # fmt: skip
    another = Cluster.objects.create(name="another", api_url="https://another.test")
    ClusterState.objects.create(cluster=another, last_window_start=latest + timedelta(minutes=5))

    def bars(window):
        ClusterState.objects.update_or_create(
            cluster=world.namespace.cluster, defaults={"last_window_start": window}
        )
        loaded = namespace_for_user(
            user=world.owner, name="acme-dev", related=("quota", "cluster__metering_state")
        )
        unloaded = type(world.namespace).objects.get(pk=world.namespace.pk)
        assert namespace_quota_bars(namespace=loaded) == namespace_quota_bars(namespace=unloaded)
        return {bar.key: bar.used for bar in namespace_quota_bars(namespace=loaded)}

    unmeasured = {"storage": None, "gpus": None, "pods": None, "load_balancers": None}
    assert bars(latest) == {"cpu": 1000, "memory": 2**20, **unmeasured}
    assert bars(latest - timedelta(minutes=1)) == {"cpu": 2000, "memory": 2**21, **unmeasured}
    assert bars(None) == {"cpu": None, "memory": None, **unmeasured}


def test_the_rollup_catches_up_the_quarters_of_the_hours_it_missed(world):
    """After the workers were down for a day, the next rollup writes the quarters from where the
    last one left them (not only its last three hours), so the chart shows the samples."""
    samples(world.namespace, hours=26, seed=7)
    usage_rollup(now=NOW - timedelta(hours=22))  # then nothing for 22 hours
    usage_rollup(now=NOW)
    assert day(world.namespace, quarters=True) == day(world.namespace, quarters=False)
    first = UsageQuarterHour.objects.order_by("window_start").values_list("window_start", flat=True).first()
    assert first == NOW.replace(minute=0, second=0) - timedelta(hours=25)  # the first run's three hours


def test_on_a_quarter_hour_the_chart_ends_with_the_quarter_just_begun(world):
    """At 13:00:30 the last step is 13:00 to 13:15 and holds the sample of 13:00 (the quarter
    ``now`` is in, not the one that just ended)."""
    now = datetime(2026, 3, 4, 13, 0, 30, tzinfo=UTC)
    UsageSample.objects.create(
        namespace=world.namespace, metric=Metric.CPU_USAGE, window_start=now.replace(second=0),
        window_end=now.replace(second=0) + timedelta(minutes=1), quantity=3, source="t",
    )  # fmt: skip
    usage = namespace_usage(namespace=world.namespace, range_key="24h", now=now)
    assert usage.moments[-1] == datetime(2026, 3, 4, 13, 0, tzinfo=UTC).isoformat()
    assert usage.values(Metric.CPU_USAGE)[-1] == 3.0 and usage.has_data


@pytest.mark.parametrize("range_key", ["24h", "7d", "30d"])
def test_the_charts_the_database_writes_as_json_are_the_steps_read_one_by_one(world, range_key):
    """The usage page's charts come as JSON the database writes (``_chart_points``): each
    series, as the chart script draws it, is ``_stepped_usage``'s in the chart's unit to three
    decimals, gaps and the other namespace's samples apart; the script element is parsed back
    to the same."""
    samples(world.namespace, hours=26, seed=7)
    samples(world.other_namespace, hours=3, seed=8)
    hole = NOW - timedelta(hours=10)  # an hour unmeasured: steps without a value
    UsageSample.objects.filter(window_start__gte=hole, window_start__lt=hole + timedelta(hours=1)).delete()
    usage_rollup(now=NOW - timedelta(minutes=40), lookback_hours=30)  # quarters and hours up to 11:00
    usage = namespace_usage(namespace=world.namespace, range_key=range_key, now=NOW)
    step = {"24h": 900, "7d": 3600, "30d": 6 * 3600}[range_key]
    moments, steps = _stepped_usage(
        namespace=world.namespace, metrics=METRICS, start=usage.start, end=usage.end, step=step, quarters=True
    )
    assert usage.moments == moments and not usage.never_measured
    drawn = json.loads(
        re.fullmatch(r'<script id="usage-charts" type="application/json">(.*)</script>', usage.chart_script)[
            1
        ]
    )
    assert drawn["moments"] == moments
    measured = 0
    for chart, shown in zip(usage.charts, drawn["charts"], strict=True):
        assert shown["unit"] == chart["unit"] and shown["divisor"] == chart["divisor"]
        for series, points in zip(chart["series"], shown["series"], strict=True):
            expected = [None if v is None else v / chart["divisor"] for v in steps[series["metric"]]]
            # The same values but for the 15 significant digits SQLite writes a number with.
            close = [None if v is None else pytest.approx(v, rel=1e-14) for v in expected]
            assert usage.values(series["metric"]) == close
            assert points["label"] == series["label"]
            assert len(points["points"]) == len(expected) - expected.count(None)
            measured += expected.count(None) != len(expected)
        assert chart["empty"] == all(
            usage.values(s["metric"]).count(None) == len(moments) for s in chart["series"]
        )
    assert measured == len(METRICS)  # every metric has values, and gaps: the comparison means something
    assert any(None in usage.values(metric) for metric in METRICS)


def test_a_namespace_never_measured_has_empty_charts_and_says_so(world):
    samples(world.other_namespace, hours=1, seed=9)
    usage = namespace_usage(namespace=world.namespace, range_key="24h", now=NOW)
    assert usage.never_measured and not usage.has_data
    assert all(usage.values(metric) == [None] * 96 for metric in METRICS)


def test_the_quarters_between_hourly_rollups_leave_the_chart_as_read_from_samples(world):
    """At 20, 35 and 50 past the hour the workers write the quarters up to the one in progress:
    the chart then reads minutes of samples, not the hour, and shows the same day."""
    samples(world.namespace, hours=26, seed=10)
    usage_rollup(now=NOW.replace(minute=5), lookback_hours=30)  # 12:05: quarters up to 12:00
    from_samples = day(world.namespace, quarters=False)
    quarters_rollup(now=NOW.replace(minute=35))  # 12:35: up to 12:30
    last = UsageQuarterHour.objects.filter(namespace=world.namespace).latest("window_start")
    assert last.window_end == NOW.replace(minute=30, second=0)
    assert day(world.namespace, quarters=True) == from_samples
    # Run again, with a late sample in the last quarter: it is written again, the others not.
    written = set(UsageQuarterHour.objects.values_list("pk", "total", "measured"))
    late = UsageSample.objects.filter(
        namespace=world.namespace, window_start=NOW.replace(minute=20, second=0)
    )
    late.update(is_gap=False, quantity=1000)
    quarters_rollup(now=NOW.replace(minute=36))
    assert day(world.namespace, quarters=True) == day(world.namespace, quarters=False)
    changed = set(UsageQuarterHour.objects.values_list("pk", "total", "measured")) - written
    assert changed and {
        UsageQuarterHour.objects.get(pk=pk).window_start for pk, _total, _measured in changed
    } == {NOW.replace(minute=15, second=0)}


def test_the_quarters_task_writes_nothing_before_any_sample(world):
    quarters_rollup(now=NOW)
    assert not UsageQuarterHour.objects.exists()
