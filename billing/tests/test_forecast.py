"""Forecast to month end = month to date + the average of recent full days x the days left."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.selectors import month_forecast
from billing.services.days import day_bill
from tenants.models import Namespace
from tests.factories import NamespaceFactory

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db


def new_team(world, created: datetime, tz: str = "UTC", *, hours: int):
    """The persona team created at ``created``, running 1 core and 1 GiB from then on:
    1.08 USD per full day (0.96 cpu + 0.12 memory)."""
    type(world.team).objects.filter(pk=world.team.pk).update(created_at=created, time_zone=tz)
    Namespace.objects.filter(pk=world.namespace.pk).update(created_at=created)
    world.team.refresh_from_db()
    fill_day(world.namespace, created, hours=hours)
    return world


def bill(world, first: date, last: date):
    day = first
    while day <= last:
        day_bill(team=world.team, day=day)
        day += timedelta(days=1)


def forecast_at(world, moment: datetime):
    with time_machine.travel(moment, tick=False):
        return month_forecast(team=world.team, now=moment)


@pytest.fixture
def april(world, book):
    """Created at noon on 16 April (UTC): its first day is half a day, 0.54 USD."""
    return new_team(world, utc(2024, 4, 16, 12), hours=12 + 24 * 14)


def billed_until(team, last: date):
    with time_machine.travel(utc(2024, 5, 2), tick=False):
        bill(team, date(2024, 4, 16), last)
    return team


def test_mid_month_forecast_of_a_team_created_that_month(april):
    # Billed up to the 22nd: 0.54 + 6 x 1.08 = 7.02; 8 days left at 1.08.
    billed_until(april, date(2024, 4, 22))
    forecast = forecast_at(april, utc(2024, 4, 23, 12))
    assert forecast.to_date == Decimal("7.02") and forecast.days_left == 8
    assert forecast.average == Decimal("1.08") and forecast.projected == Decimal("15.66")


def test_forecast_on_the_last_day_adds_one_day_not_the_whole_month(april):
    billed_until(april, date(2024, 4, 29))
    forecast = forecast_at(april, utc(2024, 4, 30, 12))
    # 0.54 + 13 x 1.08 = 14.58 after 14 billed days; one day left.
    assert forecast.to_date == Decimal("14.58") and forecast.days_left == 1
    assert forecast.projected == Decimal("15.66")  # not 14.58 / 14 x 30 = 31.24


def test_forecast_at_month_start_uses_the_recent_full_days_before_it(april):
    billed_until(april, date(2024, 4, 30))
    forecast = forecast_at(april, utc(2024, 5, 1, 12))
    assert forecast.to_date == 0 and forecast.days_left == 31
    assert forecast.average == Decimal("1.08") and forecast.projected == Decimal("33.48")


def test_forecast_in_a_daylight_saving_month(world, book):
    berlin = ZoneInfo("Europe/Berlin")
    created = datetime(2024, 10, 20, 12, tzinfo=berlin).astimezone(UTC)
    team = new_team(world, created, "Europe/Berlin", hours=12 + 24 * 7 + 1)
    with time_machine.travel(utc(2024, 11, 5), tick=False):
        bill(team, date(2024, 10, 20), date(2024, 10, 27))  # the 27th has 25 hours: 1.00 + 0.12
    forecast = forecast_at(team, datetime(2024, 10, 28, 12, tzinfo=berlin))
    # 0.54 + 6 x 1.08 + 1.12 = 8.14; full days 21st-27th average 7.60 / 7; 4 days left.
    assert forecast.to_date == Decimal("8.14") and forecast.days_left == 4
    assert forecast.projected == Decimal("12.48")  # not 8.14 / 8 x 31 = 31.54


def test_the_billing_page_shows_the_forecast(client, april):
    billed_until(april, date(2024, 4, 29))
    client.force_login(april.owner)
    with time_machine.travel(utc(2024, 4, 30, 12), tick=False):
        page = client.get(reverse("billing:team", args=["acme"])).content.decode()
    # Month to date is the listed statement's total; the forecast adds one day of 1.08.
    assert "Month to date: <strong>14.58 USD</strong> over 29 billed days;" in page
    assert "forecast to month end: <strong>15.66 USD</strong>" in page


def _costs_page(client, number: int) -> tuple[str, int]:
    """The team billing page on 21 April with ``?costs_page=number``, and its query count."""
    with (
        time_machine.travel(utc(2024, 4, 21, 12), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        page = client.get(reverse("billing:team", args=["acme"]), {"costs_page": number})
    return page.content.decode(), len(queries.captured_queries)


def test_the_billing_page_shows_the_months_costs_a_page_at_a_time_in_the_same_queries(
    client, april, settings
):
    settings.TENANTRY_PAGE_SIZE = 2
    billed_until(april, date(2024, 4, 20))
    client.force_login(april.owner)
    one_namespace, queries = _costs_page(client, 1)
    assert "<td>acme-dev</td>" in one_namespace and 'rel="next"' not in one_namespace  # cpu, memory
    for name in ("acme-a", "acme-b"):
        namespace = NamespaceFactory(team=april.team, name=name, created_at=utc(2024, 4, 16, 12))
        fill_day(namespace, utc(2024, 4, 17), hours=24)
    billed_until(april, date(2024, 4, 20))
    pages = [_costs_page(client, number) for number in (1, 2, 3)]
    assert [count for _, count in pages] == [queries] * 3  # a page and its total in one query
    rows = [
        name
        for html, _ in pages
        for name in ("acme-a", "acme-b", "acme-dev")
        if f"<td>{name}</td>" in html.split("Cost by namespace and metric</caption>")[1].split("</table>")[0]
    ]
    assert rows == ["acme-a", "acme-b", "acme-dev"]  # two rows (cpu, memory) a namespace, a page each
    assert "Page 1 of 3" in pages[0][0] and "?costs_page=2" in pages[0][0]
