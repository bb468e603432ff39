"""Accessibility of the main pages: axe-core (WCAG 2.1 A/AA) and a 375 px wide phone.

One browser and one live server with the demo data; each persona visits its pages in turn.
At a desktop width every page must have no "serious" or "critical" axe violation; at 375 px
nothing may scroll the page sideways, and the layout-dependent axe rules run again (a table
that fits a desktop scrolls on a phone, and must then be reachable by keyboard). All problems
are collected and reported together.

``axe.min.js`` is axe-core 4 (MPL-2.0, license header kept), vendored so the test runs offline.
"""

from pathlib import Path

import pytest

from tests.browser.main_pages import PERSONAS, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).with_name("axe.min.js")
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE_RULES = {"runOnly": {"type": "rule", "values": ["scrollable-region-focusable", "color-contrast"]}}
BLOCKING = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# What sticks out past the right edge of a phone, to name in the report when a page overflows.
WIDE_ELEMENTS_JS = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' right=' + Math.round(el.getBoundingClientRect().right))"""


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


def test_main_pages_are_accessible_and_fit_a_phone(demo_console, new_page, django_user_model):
    cast = {u.username: u for u in django_user_model.objects.filter(username__in=PERSONAS)}
    problems: list[str] = []
    for persona, pages in main_pages(cast).items():
        # axe is injected as an inline script, which the Content-Security-Policy would refuse.
        page = new_page(user=cast.get(persona), base_url=demo_console, bypass_csp=True)
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
