"""Finance in a real browser: statement → namespace → line → the samples behind it → CSV."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing.models import Charge, Statement
from billing.services.runs import days_bill
from metering.models import UsageSample

from .conftest import fill_day, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_drills_down_to_the_samples_behind_a_line_and_exports_csv(acme, live_server, new_page):
    fill_day(acme.namespace, utc(2024, 3, 1), hours=48, cpu="0.5")
    UsageSample.objects.create(
        namespace=acme.namespace,
        metric="cpu_request",
        window_start=utc(2024, 3, 2, 7),
        window_end=utc(2024, 3, 2, 7, 5),
        quantity=Decimal("0.5"),
        source="quota",
    )
    days_bill(first=date(2024, 3, 1), last=date(2024, 3, 2), now=utc(2024, 3, 5), teams=[acme.team])
    statement = Statement.objects.get(team=acme.team)
    line = Charge.objects.get(metric="cpu", day=date(2024, 3, 2))

    page = new_page(user=acme.finance, base_url=live_server.url)
    page.goto("/billing/finance/?month=2024-03")
    page.get_by_role("link", name="Acme").click()
    page.wait_for_url(f"**/billing/finance/statements/{statement.pk}/")
    total = sum(statement.lines.values_list("amount", flat=True))
    assert page.get_by_test_id("total").inner_text() == f"{total:.2f} USD"

    page.get_by_role("link", name="acme-dev").click()
    page.get_by_role("row").filter(has_text="2024-03-02").filter(has_text="cpu").get_by_role(
        "link", name="cpu"
    ).click()
    page.wait_for_url(f"**/billing/finance/charges/{line.pk}/")
    assert page.get_by_test_id("amount").inner_text() == f"{line.amount:.2f} USD"
    assert page.locator("#hourly tbody tr").count() == 48  # cpu_request + cpu_usage for 24 hours
    assert "2024-03-02 07:00:00" in page.locator("#samples").inner_text()

    page.get_by_role("link", name=f"{acme.team.name} 2024-03").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert rows[-1][0] == "TOTAL" and Decimal(rows[-1][rows[0].index("amount")]) == total
    assert line.key in {r[0] for r in rows}
