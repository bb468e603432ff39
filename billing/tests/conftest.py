"""Billing test helpers: a price book and hourly usage rows."""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from billing.models import PriceBook, PriceBookRuntime, PriceBookStorageClass
from clusters.models import NamespaceProvisioning
from metering.models import RuntimeClassProfile, UsageHourly
from tenants.models import Namespace

GIB = 2**30
PRICES = {
    "cpu_core_hour": Decimal("0.040000"),
    "memory_gib_hour": Decimal("0.005000"),
    "storage_gib_hour": Decimal("0.000100"),
    "gpu_hour": Decimal("1.500000"),
    "egress_gib": Decimal("0.090000"),
    "load_balancer_hour": Decimal("0.025000"),
}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


EPOCH = utc(2020, 1, 1)


def make_book(
    *,
    currency="USD",
    effective_from=EPOCH,
    version=1,
    runtime_multipliers=None,
    storage_class_prices=None,
    **overrides,
) -> PriceBook:
    """A version; its runtime multipliers default to the catalog's, as the staff form offers."""
    if isinstance(effective_from, datetime):
        effective_from = effective_from.date()
    book = PriceBook.objects.create(
        currency=currency, version=version, effective_from=effective_from, **{**PRICES, **overrides}
    )
    if runtime_multipliers is None:
        runtime_multipliers = dict(RuntimeClassProfile.objects.values_list("name", "price_multiplier"))
    PriceBookRuntime.objects.bulk_create(
        PriceBookRuntime(price_book=book, runtime_class=name, multiplier=multiplier)
        for name, multiplier in runtime_multipliers.items()
    )
    PriceBookStorageClass.objects.bulk_create(
        PriceBookStorageClass(price_book=book, storage_class=name, storage_gib_hour=price)
        for name, price in (storage_class_prices or {}).items()
    )
    return book


def hourly(
    namespace, metric, hour, quantity, coverage="1", runtime_class="", samples=12, storage_class=""
) -> UsageHourly:
    return UsageHourly.objects.create(
        namespace=namespace,
        metric=metric,
        hour=hour,
        quantity=Decimal(str(quantity)),
        coverage=Decimal(str(coverage)),
        samples=samples,
        runtime_class=runtime_class,
        storage_class=storage_class,
    )


def fill_day(namespace, start, hours=24, *, cpu="1", memory=GIB, coverage="1", runtime_class=""):
    """A steady namespace: ``cpu`` cores and ``memory`` bytes requested and used, for ``hours`` hours."""
    rows = []
    for n in range(hours):
        hour = start + timedelta(hours=n)
        for metric, qty in (
            ("cpu_request", cpu),
            ("cpu_usage", cpu),
            ("memory_request", memory),
            ("memory_usage", memory),
        ):
            rows.append(
                UsageHourly(
                    namespace=namespace,
                    metric=metric,
                    hour=hour,
                    quantity=Decimal(str(qty)),
                    coverage=Decimal(coverage),
                    samples=12,
                    runtime_class=runtime_class,
                )
            )
    UsageHourly.objects.bulk_create(rows)


@pytest.fixture
def book(db):
    return make_book()


@pytest.fixture
def acme(world, book):
    """The persona team, created long ago, with its namespace (provisioned: the provisioner
    recorded its cluster UID); prepaid USD in UTC."""
    long_ago = utc(2020, 1, 1)
    type(world.team).objects.filter(pk=world.team.pk).update(created_at=long_ago)
    Namespace.objects.filter(team=world.team).update(created_at=long_ago)
    NamespaceProvisioning.objects.filter(namespace__team=world.team).update(cluster_uid="uid-acme-dev")
    world.team.refresh_from_db()
    world.namespace.refresh_from_db()
    return world


def needs_postgresql(reason: str) -> None:
    """Skip on SQLite with ``reason``; fail when DATABASE_URL names PostgreSQL but the test
    database is not, so CI cannot skip these silently."""
    if connection.vendor != "postgresql":
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL points at PostgreSQL but the test database is not PostgreSQL")
        pytest.skip(reason)
