"""The billable-quantity rule and line pricing, as pure functions (no database).

``hour_quantities`` and ``rate_namespace_day`` are the rule as written: one ``HourUsage`` per
UTC hour that has usage rows, each holding that hour's ``UsageHourly`` values by metering
metric. The nightly job evaluates the same per-hour rule in SQL (``billing.services.usage``)
and hands ``price_usage`` one ``UsageSums`` per (price version, runtime class); the tests
check both paths give the same lines.
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

# Billing metric -> (metering metrics whose per-hour maximum is billed, unit divisor).
RULE: dict[str, tuple[tuple[str, ...], Decimal]] = {
    BillingMetric.CPU: (("cpu_request", "cpu_usage"), ONE),
    BillingMetric.MEMORY: (("memory_request", "memory_usage"), GIB),
    BillingMetric.STORAGE: (("storage_request",), GIB),
    BillingMetric.GPU: (("gpu_request",), ONE),
    BillingMetric.EGRESS: (("net_egress_external",), GIB),
    BillingMetric.LOAD_BALANCER: (("load_balancers",), ONE),
}
assert {m for sources, _ in RULE.values() for m in sources} == set(SOURCE_METRICS)


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
    quantities = {}
    for metric, (sources, divisor) in RULE.items():
        value = _max_of(*(_measured(readings, name) for name in sources))
        if value is not None and value > 0:
            quantities[str(metric)] = value / divisor
    return quantities


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
            line = _line(lines, metric, version)
            line.quantity += quantity
            line.billable_quantity += quantity * multiplier
            line.hours += 1
    return _rounded(lines)


@dataclass(slots=True)
class UsageSums:
    """One namespace's hours that share a price version and a runtime class, summed.

    ``totals`` maps a billing metric to (the sum of its per-hour quantities in metering units,
    i.e. before the unit divisor, over the hours where it is positive; the number of those
    hours). ``coverage`` is the sum of the hours' coverage. ``version`` is None for hours
    before the currency's first price book version.
    """

    version: PriceVersion | None
    runtime_class: str
    totals: dict[str, tuple[Decimal, int]]
    coverage: Decimal


def price_usage(sums: Iterable[UsageSums], *, multipliers: Mapping[str, Decimal]) -> list[RatedLine]:
    """Lines of one namespace-day from its ``UsageSums``: the same lines as
    ``rate_namespace_day`` gives for the hours they sum."""
    lines: dict[tuple[str, int], RatedLine] = {}
    for group in sums:
        multiplier = multipliers.get(group.runtime_class, ONE)
        for metric, (total, hours) in group.totals.items():
            if not hours:
                continue
            if group.version is None:
                raise MissingPrice("Usage before the currency's first price book version took effect")
            line = _line(lines, metric, group.version)
            quantity = total / RULE[metric][1]
            line.quantity += quantity
            line.billable_quantity += quantity * multiplier
            line.hours += hours
    return _rounded(lines)


def _line(lines: dict[tuple[str, int], RatedLine], metric: str, version: PriceVersion) -> RatedLine:
    line = lines.get((metric, version.id))
    if line is None:
        line = lines[(metric, version.id)] = RatedLine(metric=metric, price_version=version)
    return line


def _rounded(lines: dict[tuple[str, int], RatedLine]) -> list[RatedLine]:
    for line in lines.values():
        line.quantity = line.quantity.quantize(SIX_DP, rounding=ROUND_HALF_EVEN)
        line.billable_quantity = line.billable_quantity.quantize(SIX_DP, rounding=ROUND_HALF_EVEN)
    return sorted(lines.values(), key=lambda ln: (ln.metric, ln.price_version.effective_from))


def day_coverage(covered: Decimal, *, expected_hours: int) -> Decimal:
    """Measured share of the hours the namespace existed in the day, 0..1 (rounded down).

    ``covered`` is the sum of the coverage of the namespace's hours with usage rows.
    """
    if expected_hours <= 0:
        return ONE if covered > 0 else ZERO
    return min(ONE, covered / expected_hours).quantize(FOUR_DP, rounding=ROUND_DOWN)
