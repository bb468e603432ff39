"""Guarantee 11: the billable-quantity rule, with fixtures (pure functions, no database)."""

from decimal import Decimal

import pytest

from billing.rating import (
    QUANTITY_RULE,
    HourUsage,
    MissingPrice,
    PriceVersion,
    Reading,
    day_coverage,
    hour_quantities,
    rate_namespace_day,
)

from .conftest import GIB, utc

V1 = PriceVersion(
    id=1,
    effective_from=utc(2024, 1, 1),
    prices={"cpu": Decimal("0.04"), "memory": Decimal("0.005"), "storage": Decimal("0.0001"),
            "gpu": Decimal("1.5"), "egress": Decimal("0.09"), "load_balancer": Decimal("0.025")},
)  # fmt: skip


def r(q, cov="1"):
    return Reading(Decimal(str(q)), Decimal(cov))


def test_bursting_pod_is_billed_for_usage_above_its_request():
    q = hour_quantities(
        {
            "cpu_request": r("0.5"),
            "cpu_usage": r("1.75"),
            "memory_request": r(GIB),
            "memory_usage": r(3 * GIB),
        }
    )
    assert q == {"cpu": Decimal("1.75"), "memory": Decimal("3")}


def test_idle_pod_is_billed_for_its_request():
    q = hour_quantities(
        {
            "cpu_request": r("2"),
            "cpu_usage": r("0.01"),
            "memory_request": r(2 * GIB),
            "memory_usage": r(GIB // 4),
        }
    )
    assert q == {"cpu": Decimal("2"), "memory": Decimal("2")}


def test_pod_shorter_than_a_sampling_step_is_billed_for_its_measured_share_only():
    # 4 cores seen in one 5-minute sample of the hour: 4 x 300/3600 core-hours, not 4.
    q = hour_quantities({"cpu_request": r("4", "0.0833"), "cpu_usage": r("3", "0.0833")})
    assert q == {"cpu": Decimal("0.3332")}
    hour = HourUsage(hour=utc(2024, 3, 1, 10), readings={"cpu_request": r("4", "0.0833")})
    assert day_coverage(hour.coverage, expected_hours=24) < Decimal("0.01")


def test_counters_storage_gpu_and_load_balancers_follow_the_rule():
    q = hour_quantities(
        {
            "storage_request": r(10 * GIB),
            "gpu_request": r("2"),
            "net_egress_external": r(GIB // 2, "0.5"),
            "load_balancers": r("1"),
            "net_egress_internal": r(GIB * 100),  # internal traffic is free
        }
    )
    assert q == {
        "storage": Decimal("10"),
        "gpu": Decimal("2"),
        "egress": Decimal("0.5"),
        "load_balancer": Decimal("1"),
    }


def test_no_rows_after_a_namespace_is_deleted_means_no_charge():
    hours = [HourUsage(hour=utc(2024, 3, 1, h), readings={"cpu_request": r("1")}) for h in range(10)]
    lines = rate_namespace_day(hours, versions=[V1])
    assert [(ln.metric, ln.quantity, ln.hours) for ln in lines] == [("cpu", Decimal("10.000000"), 10)]


def test_runtime_multiplier_comes_from_the_version_and_unknown_runtime_counts_as_one():
    hours = [
        HourUsage(hour=utc(2024, 3, 1, 0), runtime_class="kata-fc", readings={"cpu_request": r("1")}),
        HourUsage(hour=utc(2024, 3, 1, 1), runtime_class="mystery", readings={"cpu_request": r("1")}),
    ]
    version = PriceVersion(
        id=1, effective_from=V1.effective_from, prices=V1.prices, multipliers={"kata-fc": Decimal("1.5")}
    )
    kata, mystery = rate_namespace_day(hours, versions=[version])
    assert (kata.runtime_class, kata.quantity, kata.multiplier, kata.billable_quantity) == (
        "kata-fc",
        Decimal("1"),
        Decimal("1.5"),
        Decimal("1.5"),
    )
    assert (mystery.runtime_class, mystery.multiplier, mystery.billable_quantity) == ("mystery", 1, 1)
    assert kata.amount("USD") + mystery.amount("USD") == Decimal("0.10")


def test_each_hour_is_priced_with_the_version_in_effect_then():
    v2 = PriceVersion(id=2, effective_from=utc(2024, 3, 1, 12), prices={**V1.prices, "cpu": Decimal("0.08")})
    hours = [HourUsage(hour=utc(2024, 3, 1, h), readings={"cpu_request": r("1")}) for h in range(24)]
    lines = rate_namespace_day(hours, versions=[V1, v2])
    assert [(ln.price_version.id, ln.quantity, ln.amount("USD")) for ln in lines] == [
        (1, Decimal("12"), Decimal("0.48")),
        (2, Decimal("12"), Decimal("0.96")),
    ]


def test_usage_before_any_price_version_is_an_error_not_free():
    hours = [HourUsage(hour=utc(2023, 12, 31, 23), readings={"cpu_request": r("1")})]
    with pytest.raises(MissingPrice):
        rate_namespace_day(hours, versions=[V1])


def test_rule_text_names_every_billed_metric():
    for word in (
        "max(cpu_request, cpu_usage)",
        "max(memory_request, memory_usage)",
        "2^30",
        "multiplier",
        "half-even",
    ):
        assert word in QUANTITY_RULE
