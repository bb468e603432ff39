"""The billable-quantity rule and line pricing, as pure functions (no database).

``hour_quantities`` and ``rate_namespace_day`` are the rule as written: one ``HourUsage`` per
UTC hour that has usage rows, each holding that hour's ``UsageHourly`` values by metering
metric (and its per-StorageClass storage rows). The nightly job evaluates the same per-hour
rule in SQL (``billing.services.usage``) and hands ``price_usage`` one ``UsageSums`` per
(price version, runtime class, storage class); the tests check both paths give the same lines.

Everything that shapes a price comes from the price version: unit prices, per-StorageClass
storage prices and runtime multipliers, so a line is one (metric, version, runtime class,
storage class) and stores the multiplier and unit price it used.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal

from billing.models import BillingMetric
from billing.money import round_line

QUANTITY_RULE = (
    "Per namespace per UTC hour, from UsageHourly (gauges: mean over the measured part of "
    "the hour; counters: sum), a gauge counts for mean x coverage hours: "
    "cpu = max(cpu_request, cpu_usage) core-hours; "
    "memory = max(memory_request, memory_usage) / 2^30 GiB-hours; "
    "storage = storage_request / 2^30 GiB-hours, per StorageClass from storage_class_request rows "
    "when the hour has them; gpu = gpu_request GPU-hours; "
    "egress = net_egress_external / 2^30 GiB; load_balancer = load_balancers count-hours. "
    "An hour without a row bills nothing (missing data lowers coverage, never counts as zero; "
    "no rows after a namespace is deleted, so no charge). Each hour is priced with the price "
    "book version in effect at the hour's start (a version takes effect at 00:00 of its day in "
    "the team's time zone, so one prices the whole local day); a line is one metric, version, runtime class "
    "and storage class. Line: quantities summed and rounded half-even to 1e-6; "
    "billable_quantity = round_half_even(quantity x the version's multiplier for the runtime "
    "class (1 if it lists none), 1e-6); unit price = the version's price for the metric (for "
    "storage: for the StorageClass, else the default storage price); "
    "amount = round_half_even(billable_quantity x unit_price, currency minor unit)."
)

GIB = Decimal(2**30)
SIX_DP = Decimal("0.000001")
FOUR_DP = Decimal("0.0001")
ONE = Decimal("1")
ZERO = Decimal("0")
# Quotients and products of the rule are exact before the line's half-even rounding (a
# division by 2^30 has up to 30 more decimals than its dividend; 28 digits, the default
# precision, could round a sum onto a rounding tie), as PostgreSQL's ``numeric`` computes
# them in the set-based first billing (``billing.services.setbased``).
EXACT = Context(prec=120)

STORAGE_CLASS_METRIC = "storage_class_request"
# Metering metrics the rule reads per namespace-hour (besides STORAGE_CLASS_METRIC).
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
    """One namespace's UsageHourly rows for one UTC hour, by metering metric; ``storage``
    holds its ``storage_class_request`` rows by StorageClass."""

    hour: datetime
    runtime_class: str = ""
    readings: dict[str, Reading] = field(default_factory=dict)
    storage: dict[str, Reading] = field(default_factory=dict)

    @property
    def coverage(self) -> Decimal:
        return max((r.coverage for r in [*self.readings.values(), *self.storage.values()]), default=ZERO)


@dataclass(frozen=True, slots=True)
class PriceVersion:
    """What rating needs of a price book version: unit prices by billing metric, storage
    prices by StorageClass (others pay ``prices["storage"]``) and runtime multipliers (a
    runtime class not listed counts as 1)."""

    id: int
    effective_from: datetime
    prices: Mapping[str, Decimal]
    storage_prices: Mapping[str, Decimal] = field(default_factory=dict)
    multipliers: Mapping[str, Decimal] = field(default_factory=dict)

    def unit_price(self, metric: str, storage_class: str = "") -> Decimal:
        if metric == BillingMetric.STORAGE and storage_class in self.storage_prices:
            return self.storage_prices[storage_class]
        return self.prices[metric]

    def multiplier(self, runtime_class: str) -> Decimal:
        return self.multipliers.get(runtime_class, ONE)


@dataclass(slots=True)
class RatedLine:
    metric: str
    price_version: PriceVersion
    runtime_class: str = ""
    storage_class: str = ""
    quantity: Decimal = ZERO
    billable_quantity: Decimal = ZERO
    hours: int = 0

    @property
    def unit_price(self) -> Decimal:
        return self.price_version.unit_price(self.metric, self.storage_class)

    @property
    def multiplier(self) -> Decimal:
        return self.price_version.multiplier(self.runtime_class)

    def amount(self, currency: str) -> Decimal:
        return round_line(EXACT.multiply(self.billable_quantity, self.unit_price), currency)


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
            quantities[str(metric)] = EXACT.divide(value, divisor)
    return quantities


def hour_lines(usage: HourUsage) -> dict[tuple[str, str], Decimal]:
    """``hour_quantities`` by (billing metric, storage class): storage per StorageClass when
    the hour has per-class rows, else the namespace total under the class ""."""
    quantities = {(metric, ""): q for metric, q in hour_quantities(usage.readings).items()}
    if usage.storage:
        quantities.pop((BillingMetric.STORAGE, ""), None)
        for storage_class, reading in usage.storage.items():
            value = reading.quantity * reading.coverage
            if value > 0:
                quantities[(BillingMetric.STORAGE, storage_class)] = EXACT.divide(value, GIB)
    return quantities


def price_version_at(versions: Sequence[PriceVersion], instant: datetime) -> PriceVersion | None:
    """The version in effect at ``instant``; ``versions`` sorted by ``effective_from``."""
    index = bisect_right([v.effective_from for v in versions], instant)
    return versions[index - 1] if index else None


class MissingPrice(LookupError):
    """Usage happened before any price book version for the currency took effect."""


LineKey = tuple[str, int, str, str]  # metric, version id, runtime class, storage class


def rate_namespace_day(hours: Iterable[HourUsage], *, versions: Sequence[PriceVersion]) -> list[RatedLine]:
    """Lines of one namespace-day, one per (billing metric, price version, runtime class,
    storage class), quantities rounded."""
    lines: dict[LineKey, RatedLine] = {}
    for usage in hours:
        quantities = hour_lines(usage)
        if not quantities:
            continue
        version = price_version_at(versions, usage.hour)
        if version is None:
            raise MissingPrice(f"No price book version in effect at {usage.hour.isoformat()}")
        for (metric, storage_class), quantity in quantities.items():
            line = _line(lines, metric, version, usage.runtime_class, storage_class)
            line.quantity = EXACT.add(line.quantity, quantity)
            line.hours += 1
    return _rounded(lines)


@dataclass(slots=True)
class UsageSums:
    """One namespace's hours that share a price version, a runtime class and (for storage
    by class) a StorageClass, summed.

    ``totals`` maps a billing metric to (the sum of its per-hour quantities in metering units,
    i.e. before the unit divisor, over the hours where it is positive; the number of those
    hours). ``coverage`` is the sum of the hours' coverage. ``version`` is None for hours
    before the currency's first price book version.
    """

    version: PriceVersion | None
    runtime_class: str
    totals: dict[str, tuple[Decimal, int]]
    coverage: Decimal
    storage_class: str = ""


def price_usage(sums: Iterable[UsageSums]) -> list[RatedLine]:
    """Lines of one namespace-day from its ``UsageSums``: the same lines as
    ``rate_namespace_day`` gives for the hours they sum."""
    lines: dict[LineKey, RatedLine] = {}
    for group in sums:
        for metric, (total, hours) in group.totals.items():
            if not hours:
                continue
            if group.version is None:
                raise MissingPrice("Usage before the currency's first price book version took effect")
            line = _line(lines, metric, group.version, group.runtime_class, group.storage_class)
            line.quantity = EXACT.add(line.quantity, EXACT.divide(total, RULE[metric][1]))
            line.hours += hours
    return _rounded(lines)


def _line(
    lines: dict[LineKey, RatedLine],
    metric: str,
    version: PriceVersion,
    runtime_class: str,
    storage_class: str,
) -> RatedLine:
    key = (metric, version.id, runtime_class, storage_class)
    line = lines.get(key)
    if line is None:
        line = lines[key] = RatedLine(
            metric=metric, price_version=version, runtime_class=runtime_class, storage_class=storage_class
        )
    return line


def _rounded(lines: dict[LineKey, RatedLine]) -> list[RatedLine]:
    for line in lines.values():
        line.quantity = line.quantity.quantize(SIX_DP, rounding=ROUND_HALF_EVEN, context=EXACT)
        line.billable_quantity = EXACT.multiply(line.quantity, line.multiplier).quantize(
            SIX_DP, rounding=ROUND_HALF_EVEN, context=EXACT
        )
    return sorted(
        lines.values(),
        key=lambda ln: (ln.metric, ln.price_version.effective_from, ln.runtime_class, ln.storage_class),
    )


def day_coverage(covered: Decimal, *, expected_hours: int) -> Decimal:
    """Measured share of the hours the namespace existed in the day, 0..1 (rounded down).

    ``covered`` is the sum of the coverage of the namespace's hours with usage rows.
    """
    if expected_hours <= 0:
        return ONE if covered > 0 else ZERO
    return min(ONE, covered / expected_hours).quantize(FOUR_DP, rounding=ROUND_DOWN)
