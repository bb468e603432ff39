"""The set-based first billing (PostgreSQL) writes what the Python path writes for the same
usage: lines, ledger entries, balances, bands and billed days (guarantees 1, 2, 6, 9, 13, 15)."""

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import (
    BilledDay,
    BillingAccount,
    BillingNotice,
    Charge,
    LedgerEntry,
    QuantityRule,
    Statement,
)
from billing.rating import QUANTITY_RULE
from billing.services import days, setbased
from billing.services.changes import ROLLUP_COMMIT_MARGIN
from billing.services.runs import days_bill
from metering.models import UsageHourly
from tests.factories import NamespaceFactory, TeamFactory

from .conftest import EPOCH, fill_day, make_book, needs_postgresql, utc
from .test_usage import QUANTITIES, byte_counts, hour_rows

SKIP_REASON = "the set-based first billing needs PostgreSQL; SQLite bills in Python"

pytestmark = pytest.mark.django_db

FIRST_DAY = utc(2024, 2, 29)
NOW = utc(2024, 3, 5, 12)


@pytest.mark.parametrize(
    "value",
    ["0.0000005", "0.0000015", "0.0000025", "-0.0000025", "-0.0000035", "1.2345675", "1.2345665",
     "7.99999949", "0.00000050000001", "2.5", "3.5", "0", "123456789.0000045"],
)  # fmt: skip
@pytest.mark.parametrize("places", [0, 2, 3, 6])
def test_sql_half_even_rounds_as_decimal_quantize(value, places):
    needs_postgresql(SKIP_REASON)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {setbased.half_even('x.v', places)} FROM (SELECT %s::numeric AS v) x",  # noqa: S608
            [value],
        )
        (rounded,) = cursor.fetchone()
    assert rounded == Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


@pytest.fixture
def teams(db):
    """Prepaid and invoiced teams in three time zones and two currencies (JPY has no minor
    unit), namespaces created and deleted mid-day, and price versions that change on 1 March
    (each team's local midnight) with their own multipliers and StorageClass prices."""
    multipliers = {"kata-fc": Decimal("1.25"), "gvisor": Decimal("1.1")}
    make_book(runtime_multipliers=multipliers, storage_class_prices={"fast-ssd": Decimal("0.0004")})
    make_book(
        version=2,
        effective_from=utc(2024, 3, 1),
        runtime_multipliers={"kata-fc": Decimal("1.5"), "": Decimal("0.9")},
        storage_class_prices={"bulk-hdd": Decimal("0.00005")},
        cpu_core_hour=Decimal("0.045"),
    )
    make_book(
        currency="JPY",
        runtime_multipliers=multipliers,
        cpu_core_hour=Decimal("0.5"),
        memory_gib_hour=Decimal("0.75"),
        storage_gib_hour=Decimal("0.01"),
        egress_gib=Decimal("12.5"),
    )
    made = []
    for n, (tz, currency, mode) in enumerate(
        [
            ("UTC", "USD", "prepaid"),
            ("America/New_York", "USD", "invoiced"),
            ("Asia/Kolkata", "USD", "prepaid"),
            ("Asia/Tokyo", "JPY", "prepaid"),
        ]
    ):
        team = TeamFactory(time_zone=tz, currency=currency, billing_mode=mode, name=f"T{n}", slug=f"t{n}")
        team.__class__.objects.filter(pk=team.pk).update(created_at=EPOCH)
        team.refresh_from_db()
        made.append(team)
    namespaces = [NamespaceFactory(team=team, name=f"{team.slug}-a") for team in made]
    namespaces.append(NamespaceFactory(team=made[0], name="t0-b"))
    namespaces.append(NamespaceFactory(team=made[3], name="t3-b"))
    from tenants.models import Namespace

    Namespace.objects.update(created_at=EPOCH)
    Namespace.objects.filter(name="t0-b").update(created_at=FIRST_DAY + timedelta(hours=5, minutes=30))
    Namespace.objects.filter(name="t3-b").update(deleted_at=FIRST_DAY + timedelta(hours=30))
    return made, namespaces


def _reset_billing():
    LedgerEntry.objects.all().delete()
    Charge.objects.all().delete()
    BilledDay.objects.all().delete()
    BillingNotice.objects.all().delete()
    Statement.objects.all().delete()
    BillingAccount.objects.all().delete()


def _set_based_calls(monkeypatch) -> list:
    """What each call of the set-based first billing returns, in order, as it happens."""
    calls: list = []
    real = setbased.days_write_first_set_based

    def spy(**kwargs):
        calls.append(real(**kwargs))
        return calls[-1]

    monkeypatch.setattr(setbased, "days_write_first_set_based", spy)
    return calls


def _written():
    """What a billing wrote, without row ids and timestamps (statements by team and month)."""
    lines = {}
    for line in Charge.objects.values():
        for name in ("id", "created_at", "updated_at", "statement_id"):
            del line[name]
        lines[line["key"]] = line
    for key, month in Charge.objects.values_list("key", "statement__month"):
        lines[key]["month"] = month
    ledger = sorted(
        LedgerEntry.objects.values_list(
            "team_id", "kind", "amount", "currency", "charge__key", "key", "reason"
        )
    )
    accounts = sorted(
        BillingAccount.objects.values_list("team_id", "balance", "band", "last_billed_day", "debt_since")
    )
    billed = sorted(BilledDay.objects.values_list("team_id", "day", "window_start", "window_end"))
    notices = sorted(
        BillingNotice.objects.values_list("team_id", "band_from", "band_to", "balance", "currency")
    )
    return lines, ledger, accounts, billed, notices


namespace_hours = st.dictionaries(st.integers(min_value=-6, max_value=54), hour_rows, max_size=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(usage=st.lists(namespace_hours, min_size=6, max_size=6), data=st.data())
def test_set_based_first_billing_writes_what_the_python_path_writes(teams, usage, data, monkeypatch):
    needs_postgresql(SKIP_REASON)
    made, namespaces = teams
    UsageHourly.objects.all().delete()
    rows = []
    for namespace, hours in zip(namespaces, usage, strict=True):
        for offset, row in hours.items():
            hour = FIRST_DAY + timedelta(hours=offset)
            for metric, (_, coverage) in row["readings"].items():
                rows.append(
                    UsageHourly(
                        namespace=namespace, metric=metric, hour=hour, quantity=data.draw(QUANTITIES[metric]),
                        coverage=Decimal(coverage), samples=12, runtime_class=row["runtime_class"],
                    )
                )  # fmt: skip
            for storage_class, coverage in row["storage"].items():
                rows.append(
                    UsageHourly(
                        namespace=namespace, metric="storage_class_request", storage_class=storage_class,
                        hour=hour, quantity=data.draw(byte_counts), coverage=Decimal(coverage), samples=12,
                        runtime_class=row["runtime_class"],
                    )
                )  # fmt: skip
    UsageHourly.objects.bulk_create(rows)
    first, last = FIRST_DAY.date(), (FIRST_DAY + timedelta(days=1)).date()

    _reset_billing()
    monkeypatch.setattr(days, "SET_BASED", False)
    python_run = days_bill(first=first, last=last, teams=made, now=NOW)
    in_python = _written()

    _reset_billing()
    monkeypatch.setattr(days, "SET_BASED", True)
    calls = _set_based_calls(monkeypatch)
    sql_run = days_bill(first=first, last=last, teams=made, now=NOW)
    in_sql = _written()

    assert python_run.errors == sql_run.errors == []
    # Every team-day went through the database: two days x (three USD time zones + JPY).
    assert sum(len(c) for c in calls) == 2 * len(made)
    assert sql_run.lines_written == python_run.lines_written == len(in_sql[0])
    assert in_sql == in_python
    assert set(Charge.objects.values_list("rule__text", flat=True)) <= {QUANTITY_RULE}
    assert QuantityRule.objects.count() == 1

    again = days_bill(first=first, last=last, teams=made, now=NOW)  # guarantee 1
    assert again.lines_written == 0 and _written() == in_sql


def _bill_both_ways(made, monkeypatch):
    first, last = FIRST_DAY.date(), (FIRST_DAY + timedelta(days=1)).date()
    _reset_billing()
    monkeypatch.setattr(days, "SET_BASED", False)
    days_bill(first=first, last=last, teams=made, now=NOW)
    in_python = _written()
    _reset_billing()
    monkeypatch.setattr(days, "SET_BASED", True)
    days_bill(first=first, last=last, teams=made, now=NOW)
    return in_python, _written()


def test_an_hour_whose_rows_name_two_runtime_classes_bills_its_storage_classes_at_the_largest(
    teams, monkeypatch
):
    """The hour's runtime class is the largest its rows name, for its per-StorageClass rows
    too (the set-based path reads those with their own runtime class unless the hour mixes)."""
    needs_postgresql(SKIP_REASON)
    made, namespaces = teams
    hour = FIRST_DAY + timedelta(hours=3)
    for metric, runtime_class, storage_class in [
        ("cpu_request", "gvisor", ""),
        ("storage_class_request", "kata-fc", "fast-ssd"),
        ("storage_class_request", "gvisor", "bulk-hdd"),
        ("storage_class_request", "", ""),
    ]:
        UsageHourly.objects.create(
            namespace=namespaces[0], metric=metric, hour=hour, quantity=Decimal(3 * 2**30), coverage=1,
            samples=12, runtime_class=runtime_class, storage_class=storage_class,
        )  # fmt: skip
    UsageHourly.objects.create(
        namespace=namespaces[0], metric="storage_request", hour=hour + timedelta(hours=1),
        quantity=Decimal(2**30), coverage=1, samples=12, runtime_class="",
    )  # fmt: skip
    in_python, in_sql = _bill_both_ways(made, monkeypatch)
    assert in_sql == in_python
    storage = {
        (c["runtime_class"], c["storage_class"], c["hours"])
        for c in in_sql[0].values()
        if c["metric"] == "storage"
    }
    assert storage == {
        ("kata-fc", "fast-ssd", 1),
        ("kata-fc", "bulk-hdd", 1),
        ("kata-fc", "", 1),
        ("", "", 1),
    }


def test_a_team_without_namespaces_is_billed_with_no_lines_by_the_database(book, monkeypatch):
    needs_postgresql(SKIP_REASON)
    team = TeamFactory(slug="empty", name="Empty", billing_mode="prepaid")
    team.__class__.objects.filter(pk=team.pk).update(created_at=EPOCH)
    team.refresh_from_db()
    calls = _set_based_calls(monkeypatch)
    result = days.day_bill(team=team, day=FIRST_DAY.date(), now=NOW)
    assert (result.created, result.provisional) == (0, False)
    assert calls == [{team.pk: (0, False)}]
    assert BilledDay.objects.filter(team=team, day=FIRST_DAY.date()).exists()


def test_the_statement_records_the_days_it_bills_as_the_python_path_does(acme, monkeypatch):
    """The billed-day records and each account's last billed day, written by the rating
    statement itself: a record made before is brought up to date (its late-usage flag kept
    as ``_days_record`` keeps it), and an account moves on only from the day before."""
    needs_postgresql(SKIP_REASON)
    team, day = acme.team, FIRST_DAY.date()
    fill_day(acme.namespace, FIRST_DAY)
    old = utc(2024, 3, 1)
    BilledDay.objects.create(
        team=team, day=day, window_start=old, window_end=old, billed_at=old, usage_as_of=old
    )  # recorded with no lines (the usage came late): billed for the first time now
    BillingAccount.objects.create(team=team, last_billed_day=day - timedelta(days=1))
    calls = _set_based_calls(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        before = cursor.fetchone()[0]
    result = days.day_bill(team=team, day=day, now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        after = cursor.fetchone()[0]
    assert calls and result.created > 0
    record = BilledDay.objects.get(team=team, day=day)
    assert (record.window_start, record.window_end) == (FIRST_DAY, FIRST_DAY + timedelta(days=1))
    assert before <= record.billed_at <= after
    assert before - ROLLUP_COMMIT_MARGIN <= record.usage_as_of <= after - ROLLUP_COMMIT_MARGIN
    assert record.usage_changed_at is None
    assert BillingAccount.objects.get(team=team).last_billed_day == day

    # Billed out of order (a day after a gap): the last billed day stays where it was.
    LedgerEntry.objects.all().delete()
    Charge.objects.all().delete()
    BillingAccount.objects.filter(team=team).update(last_billed_day=day - timedelta(days=5))
    BilledDay.objects.all().delete()
    days.day_bill(team=team, day=day, now=NOW)
    assert BillingAccount.objects.get(team=team).last_billed_day == day - timedelta(days=5)
    assert BilledDay.objects.filter(team=team, day=day).count() == 1
