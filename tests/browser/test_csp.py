"""The Content-Security-Policy holds on the main pages: not one violation in a real browser.

Every persona visits its main pages (the same list as the accessibility test), plus the
signed-out pages, the API docs and an error page, and uses the buttons that run script (copy,
print, an htmx partial). A listener installed before any page script records every
``securitypolicyviolation`` event, and the console is watched for the browser's refusals, so
an inline script, inline style, inline handler or eval anywhere fails the test.
"""

import json

import pytest
from django.urls import reverse

from tests.browser.main_pages import PERSONAS, main_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} (${e.sample})`);
});
"""


def _watch(page, problems: list[str]) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def test_no_page_violates_the_content_security_policy(demo_console, new_page, django_user_model):
    cast = {u.username: u for u in django_user_model.objects.filter(username__in=PERSONAS)}
    pages = main_pages(cast)
    pages["signed out"] += [("API docs", reverse("api-docs")), ("a missing page", "/no/such/page/")]
    problems: list[str] = []
    for persona, visits in pages.items():
        page = new_page(user=cast.get(persona), base_url=demo_console)
        _watch(page, problems)
        for label, path in visits:
            response = page.goto(path)
            page.wait_for_load_state("networkidle")
            assert response is not None
            policy = response.headers.get("content-security-policy", "")
            where = f"{persona} / {label} ({path})"
            if "script-src 'self'" not in policy:
                problems.append(f"{where}: no Content-Security-Policy header")
            problems += [f"{where}: {v}" for v in _violations(page)]
    assert not problems, f"{len(problems)} Content-Security-Policy problems:\n" + "\n".join(problems)


def test_the_buttons_that_run_script_work_under_the_policy(demo_console, new_page, django_user_model):
    manager = django_user_model.objects.get(username="manager")
    problems: list[str] = []
    page = new_page(user=manager, base_url=demo_console)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _watch(page, problems)

    page.goto(reverse("access"))
    page.get_by_role("button", name="Copy command").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "kubectl" in copied

    page.goto(reverse("metering:namespace_usage", args=["platform-dev"]))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("Object.keys(Chart.instances).length") >= 1  # the charts were drawn
    # Each line as drawn: the series' values the page embeds (a step's index to its value in
    # base units), in its chart's unit, a gap where a step has none.
    embedded = json.loads(page.text_content("#usage-charts"))
    drawn = page.evaluate(
        "Object.values(Chart.instances).map(c => [Number(c.canvas.dataset.chart), c.data.datasets.map(d => d.data)])"
    )
    for index, lines in drawn:
        chart = embedded["charts"][index]
        for series, line in zip(chart["series"], lines, strict=True):
            expected = [None] * len(embedded["moments"])
            for step, value in series["points"].items():
                expected[int(step)] = pytest.approx(value / chart["divisor"], abs=0.0006)
            assert line == expected
    assert any(value is not None for _, lines in drawn for line in lines for value in line)

    page.goto(reverse("dashboard"))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.config.allowEval === false")
    problems += _violations(page)
    assert not problems, "\n".join(problems)
