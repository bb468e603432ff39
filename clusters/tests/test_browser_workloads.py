"""In a real browser: the Workloads tab (viewer identity, pages, logs that follow), the staff
overview, and both at a 375 px phone width. With ``TENANTRY_SCREENSHOTS=1`` the README's
screenshots are written to docs/screenshots/."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from clusters.tests.test_workloads import pod, running  # noqa: F401 - the fixture is used by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def shot(page, name: str, *, full_page: bool = False) -> None:
    if os.environ.get("TENANTRY_SCREENSHOTS") == "1":
        page.screenshot(path=str(SHOTS / name), full_page=full_page)


def fits_a_phone(page) -> bool:
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(150)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return width <= inner + 1


def test_workloads_tab_pages_logs_and_refusals(running, new_page, live_server, kube_emulator, settings):  # noqa: F811
    from playwright.sync_api import expect

    settings.TENANTRY_PAGE_SIZE = 2
    for index in (2, 3):
        kube_emulator.seed_object(*pod(f"shop-{index}"))
    page = new_page(user=running.viewer, base_url=live_server.url)
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("namespace_workloads", args=["acme-dev"]))
    pods = page.locator("#section-pods")
    expect(pods.get_by_role("row", name="shop-1")).to_be_visible()
    expect(page.get_by_text("Kubernetes refused to list secrets for you")).to_be_visible()
    expect(page.locator("#section-warnings")).to_contain_text("BackOff happened")
    shot(page, "workloads.png")

    page.evaluate("window.__samePage = true")
    pods.get_by_role("link", name="Next page").click()
    expect(page.locator("#section-pods").get_by_role("row", name="shop-3")).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "the next page replaced only the section"
    expect(page.locator("#section-pods").get_by_role("link", name="First page")).to_be_visible()

    assert fits_a_phone(page)
    shot(page, "workloads-phone.png")
    page.set_viewport_size(DESKTOP)

    page.goto(reverse("namespace_workloads", args=["acme-dev"]))
    page.locator("#section-pods").get_by_role("link", name="Logs of app in shop-1").click()
    expect(page.locator("#pod-log")).to_contain_text("request 499")
    page.get_by_label("Last lines").fill("5")
    page.get_by_label("Follow (every 2 s)").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#pod-log")).to_contain_text("request 499")
    kube_emulator.append_pod_log("acme-dev", "shop-1", "app", ["a line written just now"])
    expect(page.locator("#pod-log")).to_contain_text("a line written just now", timeout=10_000)
    shot(page, "pod-logs.png")


def test_staff_overview_filters_and_disables_in_a_browser(world, new_page, live_server):
    from playwright.sync_api import expect

    page = new_page(user=world.admin, base_url=live_server.url)
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("dashboard"))
    expect(page.locator("#staff-home")).to_be_visible()
    page.get_by_role("link", name="All teams, namespaces and users").click()
    expect(page.get_by_role("heading", name="Admin overview")).to_be_visible()
    page.get_by_label("Trust level").select_option("trusted")
    page.get_by_role("button", name="Filter").click()
    results = page.locator("#overview-results")
    expect(results.get_by_role("link", name="Acme")).to_be_visible()
    expect(results.get_by_role("link", name="Globex")).to_have_count(0)
    shot(page, "admin-overview.png")
    assert fits_a_phone(page)
    page.set_viewport_size(DESKTOP)

    results.get_by_role("link", name="Acme").click()
    expect(page.get_by_role("heading", name="Acme · staff view")).to_be_visible()
    page.goto(reverse("staff_overview") + "?tab=users&q=viewer")
    page.locator("#overview-results").get_by_role("link", name="Disable").click()
    page.get_by_label("Reason").fill("left the company")
    page.get_by_role("button", name="Disable account").click()
    expect(page.get_by_text("is disabled; their access is removed")).to_be_visible()
    world.viewer.refresh_from_db()
    assert not world.viewer.is_active


def test_usage_and_dashboard_fit_a_phone(running, new_page, live_server):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    from metering.models import Metric, UsageSample

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for minutes in range(5, 65, 5):
        for metric, quantity in ((Metric.MEMORY_USAGE, 2_500_000_000), (Metric.MEMORY_REQUEST, 3 * 2**30)):
            UsageSample.objects.create(
                namespace=running.namespace,
                metric=metric,
                window_start=now - timedelta(minutes=minutes),
                window_end=now - timedelta(minutes=minutes - 1),
                quantity=quantity,
                source="t",
            )
    page = new_page(user=running.owner, base_url=live_server.url)
    for path in (
        reverse("metering:namespace_usage", args=["acme-dev"]),
        reverse("dashboard"),
        reverse("team_settings", args=["acme"]),
        reverse("namespace_workloads", args=["acme-dev"]),
    ):
        page.set_viewport_size(DESKTOP)
        page.goto(path)
        assert fits_a_phone(page), path
    # A badge is one word on one line in a narrow cell ("Running", never "Runn/ing").
    heights = page.eval_on_selector_all(".badge", "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and max(heights) < 30, heights
    # On a phone the memory chart is drawn tall enough to read, in GiB, legend below it.
    page.goto(reverse("metering:namespace_usage", args=["acme-dev"]))
    page.wait_for_function("() => document.querySelector('canvas[data-chart]').height > 0")
    memory = page.locator("figure.chart", has_text="Memory (GiB)").locator("canvas")
    box = memory.bounding_box()
    assert box and box["height"] > 0.8 * box["width"], box
    page.locator("figure.chart", has_text="CPU").scroll_into_view_if_needed()
    shot(page, "usage-phone.png")
