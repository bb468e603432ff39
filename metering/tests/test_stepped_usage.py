"""The usage charts' one written-out query (``_stepped_usage``) and the never-measured check:
the namespace's own rows only, inside [start, end), per metric and step, averaged or summed,
on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta

import pytest

from metering.models import Metric, UsageHourly, UsageSample
from metering.selectors import _ever_measured, _stepped_usage
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 1, tzinfo=UTC)


def sample(namespace, metric, minute, quantity, *, gap=False):
    UsageSample.objects.create(
        namespace=namespace, metric=metric, window_start=START + timedelta(minutes=minute),
        window_end=START + timedelta(minutes=minute + 1), quantity=quantity, is_gap=gap, source="t",
    )  # fmt: skip


def hourly(namespace, metric, hour, quantity):
    UsageHourly.objects.create(
        namespace=namespace, metric=metric, hour=START + timedelta(hours=hour), quantity=quantity,
        coverage=1, samples=60,
    )  # fmt: skip


def test_samples_per_step_of_the_namespace_alone_within_the_range(world):
    for minute, quantity in [(-1, 50), (0, 1), (4, 3), (5, None), (10, 7), (19, 9), (20, 60)]:
        sample(world.namespace, Metric.CPU_USAGE, minute, quantity, gap=quantity is None)
    for minute, quantity in [(0, 100), (6, 200), (12, 400)]:
        sample(world.namespace, Metric.NET_EGRESS_EXTERNAL, minute, quantity)
    # Another namespace's samples, of the same metrics and moments, count for it alone.
    for minute in (0, 5, 10, 15):
        sample(world.other_namespace, Metric.CPU_USAGE, minute, 1000)
        sample(world.other_namespace, Metric.NET_EGRESS_EXTERNAL, minute, 1000)
    metrics = [Metric.CPU_USAGE, Metric.NET_EGRESS_EXTERNAL, Metric.MEMORY_USAGE]
    moments, values = _stepped_usage(
        namespace=world.namespace, metrics=metrics, start=START, end=START + timedelta(minutes=20), step=300
    )
    assert moments == [(START + timedelta(minutes=m)).isoformat() for m in (0, 5, 10, 15)]
    # Gauges averaged over a step's measured values (a gap counts for none), counters summed,
    # a step without values None; the sample at the end of the range is outside it.
    assert values[Metric.CPU_USAGE] == [2.0, None, 7.0, 9.0]
    assert values[Metric.NET_EGRESS_EXTERNAL] == [100.0, 200.0, 400.0, None]
    assert values[Metric.MEMORY_USAGE] == [None] * 4
    _, other = _stepped_usage(
        namespace=world.other_namespace,
        metrics=metrics,
        start=START,
        end=START + timedelta(minutes=20),
        step=300,
    )
    assert other[Metric.CPU_USAGE] == [1000.0] * 4 and other[Metric.NET_EGRESS_EXTERNAL] == [1000.0] * 4


def test_hourly_rollups_from_a_step_of_an_hour(world):
    for hour, quantity in [(-1, 99), (0, 1), (1, 3), (2, 5), (5, 8), (6, 99)]:
        hourly(world.namespace, Metric.CPU_USAGE, hour, quantity)
    hourly(world.other_namespace, Metric.CPU_USAGE, 0, 1000)
    sample(world.namespace, Metric.CPU_USAGE, 0, 1000)  # samples are not read at this step
    moments, values = _stepped_usage(
        namespace=world.namespace, metrics=[Metric.CPU_USAGE], start=START, end=START + timedelta(hours=6),
        step=2 * 3600,
    )  # fmt: skip
    assert moments == [(START + timedelta(hours=h)).isoformat() for h in (0, 2, 4)]
    assert values[Metric.CPU_USAGE] == [2.0, 5.0, 8.0]


def test_ever_measured_by_either_table_of_the_namespace_alone(world):
    other = NamespaceFactory(team=world.team, name="acme-new")
    assert not _ever_measured(world.namespace.pk) and not _ever_measured(other.pk)
    hourly(world.namespace, Metric.CPU_USAGE, 0, 1)
    assert _ever_measured(world.namespace.pk) and not _ever_measured(other.pk)
    sample(other, Metric.CPU_USAGE, 0, 1)
    assert _ever_measured(other.pk) and not _ever_measured(world.other_namespace.pk)


def test_series_labels_follow_the_active_language(world):
    """The labels are translated once per language: each language still gets its own."""
    from django.utils import translation
    from django.utils.timezone import now

    from metering.selectors import namespace_usage

    for language in ("en", "zh-hans", "en"):
        with translation.override(language):
            usage = namespace_usage(namespace=world.namespace, range_key="7d", now=now())
            labels = {s["metric"]: s["label"] for chart in usage.charts for s in chart["series"]}
            assert labels == {
                metric: str(Metric(metric).label).split(" (")[0].split("\uff08")[0] for metric in labels
            }
    with translation.override("zh-hans"):
        chinese = namespace_usage(namespace=world.namespace, range_key="7d", now=now())
    assert {s["label"] for c in chinese.charts for s in c["series"]} != set(labels.values())


def test_the_steps_query_says_whether_the_namespace_was_ever_measured(world):
    """The usage page asks in the steps' query whether the namespace has any row at all, in or
    out of the range, and the steps are the same as without asking."""
    other = NamespaceFactory(team=world.team, name="acme-new")
    hourly(world.namespace, Metric.CPU_USAGE, -500, 1)  # long before the range
    sample(world.namespace, Metric.CPU_USAGE, 0, 4)
    sample(world.other_namespace, Metric.CPU_USAGE, 0, 9)
    for namespace, expected in ((world.namespace, True), (other, False)):
        for step in (300, 3600):
            ever: list[bool] = []
            kwargs = dict(metrics=[Metric.CPU_USAGE], start=START, end=START + timedelta(hours=2), step=step)
            moments, values = _stepped_usage(namespace=namespace, ever=ever, **kwargs)
            assert ever == [expected]
            assert (moments, values) == _stepped_usage(namespace=namespace, **kwargs)
    ever = []
    _, values = _stepped_usage(
        namespace=world.namespace, metrics=[Metric.CPU_USAGE], start=START, end=START + timedelta(minutes=10),
        step=300, ever=ever,
    )  # fmt: skip
    assert ever == [True] and values[Metric.CPU_USAGE] == [4.0, None]
