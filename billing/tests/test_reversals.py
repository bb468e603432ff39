"""Guarantee 14: less usage is credited too, and the ledger always equals the current lines."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import BillingAccount, Charge, ChargeKind, LedgerEntry, LedgerKind, Statement
from billing.rating import HourUsage, Reading, rate_namespace_day
from billing.services.days import Rates, day_bill
from billing.services.runs import teams_bill_due
from billing.services.statements import statement_finalize
from metering.models import UsageHourly
from tenants.models import Namespace

from .conftest import GIB, fill_day, utc

pytestmark = pytest.mark.django_db

DAY = date(2024, 2, 29)


def ledger_total(team) -> Decimal:
    entries = LedgerEntry.objects.filter(team=team, kind=LedgerKind.CHARGE)
    return sum(entries.values_list("amount", flat=True), Decimal("0"))


def lines_total(team) -> Decimal:  # summed in Python: SQLite sums decimals as floats
    return sum(Charge.objects.filter(team=team).values_list("amount", flat=True), Decimal("0"))


def assert_ledger_follows_the_lines(team):
    assert ledger_total(team) == -lines_total(team)
    assert BillingAccount.objects.get(team=team).balance == ledger_total(team)


def correct(namespace, metrics, quantity, *, at):
    """A re-collection: the rollup rewrites the day's rows of ``metrics`` (stamped ``at``)."""
    UsageHourly.objects.filter(namespace=namespace, metric__in=metrics).update(
        quantity=quantity, updated_at=at
    )


def test_usage_corrected_to_zero_in_an_open_month_is_credited_by_the_hourly_job(acme):
    BillingAccount.objects.create(team=acme.team, last_billed_day=date(2024, 3, 1))
    with time_machine.travel(utc(2024, 3, 3, 0, 30), tick=False):
        fill_day(acme.namespace, utc(2024, 3, 2))
    with time_machine.travel(utc(2024, 3, 3, 1, 5), tick=False):
        teams_bill_due()
    memory = Charge.objects.get(metric="memory")
    assert memory.amount == Decimal("0.12")

    correct(acme.namespace, ["memory_request", "memory_usage"], 0, at=utc(2024, 3, 3, 9))
    with time_machine.travel(utc(2024, 3, 3, 10, 5), tick=False):
        run = teams_bill_due()

    assert run.errors == [] and run.days_billed == 1
    memory.refresh_from_db()
    assert memory.quantity == 0 and memory.amount == 0 and memory.revision == 2
    assert not Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).exists()
    assert sum(LedgerEntry.objects.filter(charge=memory).values_list("amount", flat=True)) == 0
    assert_ledger_follows_the_lines(acme.team)
    with time_machine.travel(utc(2024, 3, 3, 11, 5), tick=False):
        assert teams_bill_due().lines_written == 0


def test_usage_corrected_to_zero_in_a_finalized_month_gets_a_negative_adjustment(acme):
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        fill_day(acme.namespace, utc(2024, 2, 29))
        day_bill(team=acme.team, day=DAY)
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        statement_finalize(statement=Statement.objects.get(month=date(2024, 2, 1)))
        correct(acme.namespace, ["memory_request", "memory_usage"], 0, at=utc(2024, 3, 10))
        result = day_bill(team=acme.team, day=DAY)
    assert result.adjustments == 1
    original = Charge.objects.get(metric="memory", kind=ChargeKind.USAGE)
    adjustment = Charge.objects.get(kind=ChargeKind.ADJUSTMENT)
    assert adjustment.adjusts == original and adjustment.statement.month == date(2024, 3, 1)
    assert adjustment.quantity == -original.quantity and adjustment.amount == -original.amount
    assert LedgerEntry.objects.get(charge=adjustment).amount == original.amount  # money back
    assert_ledger_follows_the_lines(acme.team)


def test_deleting_a_namespace_hourly_rows_reverses_its_lines(acme):
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        fill_day(acme.namespace, utc(2024, 2, 29))
        day_bill(team=acme.team, day=DAY)
        UsageHourly.objects.filter(namespace=acme.namespace).delete()
        day_bill(team=acme.team, day=DAY)
    assert lines_total(acme.team) == 0
    assert set(Charge.objects.values_list("amount", flat=True)) == {0}
    assert_ledger_follows_the_lines(acme.team)


def test_a_quantity_drop_in_a_finalized_month_refunds_only_the_difference(acme):
    with time_machine.travel(utc(2024, 3, 1, 1), tick=False):
        fill_day(acme.namespace, utc(2024, 2, 29), cpu="2")
        day_bill(team=acme.team, day=DAY)
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        statement_finalize(statement=Statement.objects.get(month=date(2024, 2, 1)))
        correct(acme.namespace, ["cpu_request", "cpu_usage"], 1, at=utc(2024, 3, 10))
        day_bill(team=acme.team, day=DAY)
        correct(acme.namespace, ["cpu_request", "cpu_usage"], 0, at=utc(2024, 3, 10, 1))
        day_bill(team=acme.team, day=DAY)
    adjustments = list(Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).order_by("key"))
    assert [(a.quantity, a.amount) for a in adjustments] == [
        (Decimal("-24"), Decimal("-0.96")),
        (Decimal("-24"), Decimal("-0.96")),
    ]
    assert_ledger_follows_the_lines(acme.team)


# The property: for any sequence of usage edits and re-runs (with the month finalized at some
# point), the ledger equals the sum of the current lines, and the lines (an original plus its
# adjustments) equal a fresh rating of the final usage.

METRICS = ("cpu_request", "memory_request", "storage_request", "net_egress_external")
VALUES = {
    "cpu_request": st.sampled_from(["0", "0.5", "1", "2.25"]),
    "memory_request": st.sampled_from(["0", str(GIB), str(3 * GIB)]),
    "storage_request": st.sampled_from(["0", str(10 * GIB)]),
    "net_egress_external": st.sampled_from(["0", str(GIB // 3)]),
}
edit = st.one_of(
    st.sampled_from(METRICS).flatmap(
        lambda metric: st.tuples(
            st.just("set"),
            st.integers(0, 1),
            st.just(metric),
            st.integers(0, 23),
            st.integers(1, 24),
            VALUES[metric],
        )
    ),
    st.tuples(st.just("delete"), st.integers(0, 1), st.integers(0, 23), st.integers(1, 24)),
    st.just(("rebill",)),
    st.just(("finalize",)),
)


def _apply_set(namespace, metric, first, length, value):
    for hour in range(first, min(24, first + length)):
        UsageHourly.objects.update_or_create(
            namespace=namespace,
            metric=metric,
            hour=utc(2024, 2, 29) + timedelta(hours=hour),
            defaults={"quantity": Decimal(value), "coverage": Decimal("1"), "samples": 12},
        )


def fresh_rating(team, versions):
    """The current usage rated from scratch by the rule as written, by (namespace, metric)."""
    rows = defaultdict(dict)
    for row in UsageHourly.objects.filter(namespace__team=team):
        rows[(row.namespace_id, row.hour)][row.metric] = Reading(row.quantity, row.coverage)
    by_namespace = defaultdict(list)
    for (namespace_id, hour), readings in sorted(rows.items()):
        by_namespace[namespace_id].append(HourUsage(hour=hour, readings=readings))
    rated = {}
    for namespace_id, hours in by_namespace.items():
        for line in rate_namespace_day(hours, versions=versions):
            rated[(namespace_id, line.metric)] = (line.quantity, line.amount("USD"))
    return rated


def current_lines(team):
    """Each original line plus its adjustments, by (namespace, metric); zero lines left out."""
    net = defaultdict(lambda: (Decimal("0"), Decimal("0")))
    for charge in Charge.objects.filter(team=team):
        quantity, amount = net[(charge.namespace_id, charge.metric)]
        net[(charge.namespace_id, charge.metric)] = (quantity + charge.quantity, amount + charge.amount)
    return {key: value for key, value in net.items() if value != (0, 0)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(edit, min_size=1, max_size=10))
def test_any_sequence_of_edits_and_reruns_keeps_ledger_and_lines_equal_to_a_fresh_rating(acme, edits):
    LedgerEntry.objects.all().delete()
    Charge.objects.filter(kind=ChargeKind.ADJUSTMENT).delete()
    Charge.objects.all().delete()
    Statement.objects.all().delete()
    BillingAccount.objects.all().delete()
    UsageHourly.objects.all().delete()
    second, _ = Namespace.objects.get_or_create(
        team=acme.team,
        name="acme-second",
        defaults={"created_at": utc(2020, 1, 1), "cluster": acme.namespace.cluster},
    )
    namespaces = [acme.namespace, second]
    versions = Rates.load().for_currency("USD")
    with time_machine.travel(utc(2024, 3, 10), tick=False):
        for step in [*edits, ("rebill",)]:
            if step[0] == "set":
                _, ns, metric, first, length, value = step
                _apply_set(namespaces[ns], metric, first, length, value)
            elif step[0] == "delete":
                _, ns, first, length = step
                UsageHourly.objects.filter(
                    namespace=namespaces[ns],
                    hour__gte=utc(2024, 2, 29) + timedelta(hours=first),
                    hour__lt=utc(2024, 2, 29) + timedelta(hours=first + length),
                ).delete()
            elif step[0] == "finalize":
                february = Statement.objects.filter(month=date(2024, 2, 1), status="draft").first()
                if february is not None:
                    statement_finalize(statement=february)
            else:
                day_bill(team=acme.team, day=DAY)
                assert_ledger_follows_the_lines(acme.team)
    assert current_lines(acme.team) == fresh_rating(acme.team, versions)
