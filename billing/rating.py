"""The billable-quantity rule and line pricing, as pure functions (no database).

The job feeds one namespace-day at a time: one ``HourUsage`` per UTC hour that has usage
rows, each holding that hour's ``UsageHourly`` values by metering metric.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from billing.models import BillingMetric
from billing.money import round_line

QUANTITY_RULE = (
    "Per namespace per UTC hour, from UsageHourly (gauges: mean over the measured part of "
    "the hour; counters: sum), a gauge counts for mean x coverage hours: "
    "cpu = max(cpu_request, cpu_usage) core-hours; "
    "memory = max(memory_request, memory_usage) / 2^30 GiB-hours; "
    "storage = storage_request / 2^30 GiB-hours; gpu = gpu_request GPU-hours; "
    "egress = net_egress_external / 2^30 GiB; load_balancer = load_balancers count-hours. "
    "An hour without a row bills nothing (missing data lowers coverage, never counts as zero; "
    "no rows after a namespace is deleted, so no charge). Each hour's quantity is multiplied by "
    "the price multiplier of that hour's runtime class (1 if unknown) and priced with the price "
    "book version in effect at the hour's start. Line: quantities summed and rounded half-even "
    "to 1e-6; amount = round_half_even(billable_quantity x unit_price, currency minor unit)."
)

GIB = Decimal(2**30)
SIX_DP = Decimal("0.000001")
FOUR_DP = Decimal("0.0001")
ONE = Decimal("1")
ZERO = Decimal("0")

# Metering metrics the rule reads.
SOURCE_METRICS = (
    "cpu_request",
    "cpu_usage",
    "memory_request",
    "memory_usage",
    "storage_request",
    "gpu_request",
    "load_balancers",
    "net_egress_external",
)
GAUGES = frozenset(SOURCE_METRICS) - {"net_egress_external"}


@dataclass(frozen=True, slots=True)
class Reading:
    quantity: Decimal
    coverage: Decimal


@dataclass(slots=True)
class HourUsage:
    """One namespace's UsageHourly rows for one UTC hour, by metering metric."""

    hour: datetime
    runtime_class: str = ""
    readings: dict[str, Reading] = field(default_factory=dict)

    @property
    def coverage(self) -> Decimal:
        return max((r.coverage for r in self.readings.values()), default=ZERO)


@dataclass(frozen=True, slots=True)
class PriceVersion:
    """What rating needs of a price book version."""

    id: int
    effective_from: datetime
    prices: Mapping[str, Decimal]  # BillingMetric value -> unit price


@dataclass(slots=True)
class RatedLine:
    metric: str
    price_version: PriceVersion
    quantity: Decimal = ZERO
    billable_quantity: Decimal = ZERO
    hours: int = 0

    @property
    def unit_price(self) -> Decimal:
        return self.price_version.prices[self.metric]

    def amount(self, currency: str) -> Decimal:
        return round_line(self.billable_quantity * self.unit_price, currency)


def _measured(readings: Mapping[str, Reading], metric: str) -> Decimal | None:
    reading = readings.get(metric)
    if reading is None:
        return None
    if metric in GAUGES:
        return reading.quantity * reading.coverage
    return reading.quantity


def _max_of(*values: Decimal | None) -> Decimal | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def hour_quantities(readings: Mapping[str, Reading]) -> dict[str, Decimal]:
    """The billable quantity of one namespace-hour per billing metric (before multipliers)."""
    m = lambda name: _measured(readings, name)  # noqa: E731
    raw = {
        BillingMetric.CPU: _max_of(m("cpu_request"), m("cpu_usage")),
        BillingMetric.MEMORY: _max_of(m("memory_request"), m("memory_usage")),
        BillingMetric.STORAGE: m("storage_request"),
        BillingMetric.GPU: m("gpu_request"),
        BillingMetric.EGRESS: m("net_egress_external"),
        BillingMetric.LOAD_BALANCER: m("load_balancers"),
    }
    scale = {BillingMetric.MEMORY: GIB, BillingMetric.STORAGE: GIB, BillingMetric.EGRESS: GIB}
    return {
        str(metric): value / scale.get(metric, ONE)
        for metric, value in raw.items()
        if value is not None and value > 0
    }


def price_version_at(versions: Sequence[PriceVersion], instant: datetime) -> PriceVersion | None:
    """The version in effect at ``instant``; ``versions`` sorted by ``effective_from``."""
    index = bisect_right([v.effective_from for v in versions], instant)
    return versions[index - 1] if index else None


class MissingPrice(LookupError):
    """Usage happened before any price book version for the currency took effect."""


def rate_namespace_day(
    hours: Iterable[HourUsage],
    *,
    multipliers: Mapping[str, Decimal],
    versions: Sequence[PriceVersion],
) -> list[RatedLine]:
    """Lines of one namespace-day: one per (billing metric, price version), quantities rounded."""
    lines: dict[tuple[str, int], RatedLine] = {}
    for usage in hours:
        quantities = hour_quantities(usage.readings)
        if not quantities:
            continue
        version = price_version_at(versions, usage.hour)
        if version is None:
            raise MissingPrice(f"No price book version in effect at {usage.hour.isoformat()}")
        multiplier = multipliers.get(usage.runtime_class, ONE)
        for metric, quantity in quantities.items():
            line = lines.get((metric, version.id))
            if line is None:
                line = lines[(metric, version.id)] = RatedLine(metric=metric, price_version=version)
            line.quantity += quantity
            line.billable_quantity += quantity * multiplier
            line.hours += 1
    for line in lines.values():
        line.quantity = line.quantity.quantize(SIX_DP, rounding=ROUND_HALF_EVEN)
        line.billable_quantity = line.billable_quantity.quantize(SIX_DP, rounding=ROUND_HALF_EVEN)
    return sorted(lines.values(), key=lambda ln: (ln.metric, ln.price_version.effective_from))


def day_coverage(hours: Iterable[HourUsage], *, expected_hours: int) -> Decimal:
    """Measured share of the hours the namespace existed in the day, 0..1 (rounded down)."""
    covered = sum((usage.coverage for usage in hours), ZERO)
    if expected_hours <= 0:
        return ONE if covered > 0 else ZERO
    return min(ONE, covered / expected_hours).quantize(FOUR_DP, rounding=ROUND_DOWN)
