"""Accessibility of the main pages: axe-core (WCAG 2.1 A/AA) and a 375 px wide phone.

One browser and one live server with the demo data; each persona visits its pages in turn.
At a desktop width every page must have no "serious" or "critical" axe violation; at 375 px
nothing may scroll the page sideways, and the layout-dependent axe rules run again (a table
that fits a desktop scrolls on a phone, and must then be reachable by keyboard). All problems
are collected and reported together.

``axe.min.js`` is axe-core 4 (MPL-2.0, license header kept), vendored so the test runs offline.
"""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.models import Statement
from tenants.models import Namespace, Team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).with_name("axe.min.js")
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE_RULES = {"runOnly": {"type": "rule", "values": ["scrollable-region-focusable", "color-contrast"]}}
BLOCKING = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
PERSONAS = ("manager", "developer", "finance", "admin")
# What sticks out past the right edge of a phone, to name in the report when a page overflows.
WIDE_ELEMENTS_JS = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' right=' + Math.round(el.getBoundingClientRect().right))"""


def _pages(cast) -> dict[str, list[tuple[str, str]]]:
    """(label, path) per persona, on the demo data; ``signed out`` has no session."""
    platform = Team.objects.get(slug="platform")
    personal = Team.objects.get(is_personal=True, memberships__user=cast["developer"])
    namespace = Namespace.objects.live().get(name="platform-dev")
    statement = Statement.objects.filter(team=platform).order_by("-month").first()
    assert statement is not None, "the demo data has no statement for the platform team"
    charge = statement.lines.filter(namespace=namespace).first()
    assert charge is not None, "the demo statement has no line for platform-dev"
    name, slug = namespace.name, platform.slug
    return {
        "manager": [
            ("dashboard", reverse("dashboard")),
            ("team list", reverse("team_list")),
            ("team page", reverse("team_detail", args=[slug])),
            ("team audit", reverse("team_audit", args=[slug])),
            ("namespace overview", reverse("namespace_detail", args=[name])),
            ("namespace usage", reverse("metering:namespace_usage", args=[name]) + "?range=7d"),
            ("namespace objects", reverse("namespace_objects", args=[name])),
            ("namespace access", reverse("namespace_access", args=[name])),
            ("team quota", reverse("metering:team_quota", args=[slug])),
            ("team billing", reverse("billing:team", args=[slug])),
            ("statement", reverse("billing:statement", args=[slug, statement.pk])),
            ("2FA", reverse("mfa_index")),
            ("2FA activation (asks for the password first)", reverse("mfa_activate_totp")),
        ],
        "developer": [
            ("dashboard", reverse("dashboard")),
            ("access", reverse("access")),
            ("API tokens", reverse("token_list")),
            ("namespace overview", reverse("namespace_detail", args=[name])),
            ("prepaid billing", reverse("billing:team", args=[personal.slug])),
        ],
        "finance": [
            ("finance index", reverse("billing:finance_index")),
            ("finance statement", reverse("billing:finance_statement", args=[statement.pk])),
            ("finance namespace", reverse("billing:finance_namespace", args=[statement.pk, namespace.pk])),
            ("finance line", reverse("billing:finance_charge", args=[charge.pk])),
        ],
        "admin": [
            ("clusters", reverse("cluster_list")),
            ("failed namespaces", reverse("namespace_error_list")),
            ("capacity", reverse("metering:staff_capacity")),
            ("runtimes", reverse("metering:staff_runtimes")),
            ("price book", reverse("billing:pricebooks")),
            ("bill runs", reverse("billing:runs")),
        ],
        "signed out": [
            ("login", reverse("account_login")),
            ("signup", reverse("account_signup")),
        ],
    }


def _axe(page, options: dict) -> list[str]:
    """The blocking violations on the page, one line per rule with (up to five of) its nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("options => axe.run(document, options)", options)
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        nodes = violation["nodes"]
        targets = ", ".join(" ".join(node["target"]) for node in nodes[:5])
        more = f" +{len(nodes) - 5} more" if len(nodes) > 5 else ""
        found.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} ({len(nodes)}x: {targets}{more})"
        )
    return found


def _phone_problems(page) -> list[str]:
    """At 375 px: the page must not scroll sideways, and what scrolls must take focus."""
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)  # responsive charts resize on a timer
    problems = []
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner + 1:
        wide = ", ".join(page.evaluate(WIDE_ELEMENTS_JS))
        problems.append(f"375 px: the page is {width} px wide; sticking out: {wide}")
    problems += [f"375 px: {v}" for v in _axe(page, PHONE_RULES)]
    page.set_viewport_size(DESKTOP)
    return problems


@pytest.fixture
def demo_console(live_server, settings, cluster):
    """The console on a live server with `manage.py demo` data (provisioned on the emulator)."""
    settings.ACCOUNT_RATE_LIMITS = False
    settings.SITE_URL = live_server.url
    call_command("demo", "--no-cluster", stdout=io.StringIO())
    return live_server.url


def test_main_pages_are_accessible_and_fit_a_phone(demo_console, new_page, django_user_model):
    cast = {u.username: u for u in django_user_model.objects.filter(username__in=PERSONAS)}
    problems: list[str] = []
    for persona, pages in _pages(cast).items():
        page = new_page(user=cast.get(persona), base_url=demo_console)
        page.set_viewport_size(DESKTOP)
        for label, path in pages:
            response = page.goto(path)
            where = f"{persona} / {label} ({path})"
            if response is None or response.status != 200:
                problems.append(f"{where}: HTTP {response.status if response else 'no response'}")
                continue
            page.wait_for_load_state("networkidle")
            problems += [f"{where}: {problem}" for problem in _axe(page, WCAG_21_AA) + _phone_problems(page)]
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)
