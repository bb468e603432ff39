"""Finance in a real browser: statement → namespace → line → the samples behind it → CSV."""

import csv
import io
import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from billing.models import Charge, Statement
from billing.services.runs import days_bill
from metering.models import UsageSample

from .conftest import fill_day, utc

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1 (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    playwright = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def test_finance_drills_down_to_the_samples_behind_a_line_and_exports_csv(acme, live_server, client, browser):
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

    client.force_login(acme.finance)
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
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
    assert rows[-1][0] == "TOTAL" and Decimal(rows[-1][9]) == total
    assert line.key in {r[0] for r in rows}
    context.close()
