"""Whatever a form holds, posting it answers without a 5xx.

Every persona opens every page the permission matrix lets them open; each form on it that
posts (``method="post"`` or ``hx-post``) is read from the HTML, field names and values as
rendered. Each field is then posted with one hostile value at a time, the other fields keeping
a plausible value: numbers beyond any integer the database holds, negative and zero numbers,
decimals with 40 digits, control characters, 10,000 characters of text, unicode, empty values,
dates that do not exist or lie at the end of time, and JSON that is not. A form may refuse the
value (field error, 400, 403, 404), ignore it or accept it; it never fails. Each post runs in
a savepoint that is rolled back, so one accepted value does not change what the next post sees.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import resolve, reverse

from metering.amounts import parse_amounts
from metering.services.quotas import namespace_quota_set, quota_request_create, team_quota_ensure
from tests.test_permission_matrix import LEVELS, RULES, fx  # noqa: F401  (fx: the matrix's world)

pytestmark = pytest.mark.django_db

HOSTILE = (
    "9" * 30,
    "9223372036854775808",
    "-9223372036854775809",
    "-1",
    "0",
    "0." + "1" * 40,
    "1" * 20 + "." + "1" * 20,
    "NaN",
    "1e999999",
    "\x00",
    "x" * 10_000,
    "名前 ☃ \U0001d518 \u202e",
    "",
    "0000-00-00",
    "9999-12-31T23:59+14:00",
    '{"not": json',
)
# A value each field accepts, so that a hostile value in one field reaches the code behind the
# form rather than stopping at another field's error. Fields not named keep what the page shows.
PLAUSIBLE = {
    "name": "fuzz-name",
    "slug": "fuzz-team",
    "email": "fuzz@example.com",
    "reason": "we need it",
    "note": "noted",
    "amount": "1",
    "cpu": "1",
    "memory": "1Gi",
    "hours": "1",
    "expires_in_days": "1",
    "max_namespaces": "3",
    "currency": "USD",
    "effective_from": "2030-01-01",
    "api_url": "https://cluster.example.com:6443",
    "kubeconfig_path": "/nonexistent",
}
# Forms a persona could post but this test leaves out: logging out ends the persona's session.
SKIPPED_ACTIONS = ("/accounts/",)
# Routes that are no page with forms (probes, feeds, the API's schema and docs).
NOT_PAGES = {"healthz", "readyz", "metrics", "favicon", "api-schema", "api-docs"}
# Pages whose forms show only with a query string: a namespace's allocation being edited.
EXTRA_PAGES = (("manager", "/teams/acme/quota/?edit=acme-dev"),)
# Posting routes whose form is a lone button shown only in a state this world does not have;
# with no field there is nothing to fuzz.
NOT_REACHED = {
    "billing:finance_statement_paid": "a finalized statement",
    "cluster_enable": "a disabled cluster",
    "cluster_recheck": "its confirmation page (the matrix asks it with a POST)",
    "invitation_decline": "an invitation link in hand",
    "my_invitation_accept": "an invitation to a persona's own email",
    "my_invitation_decline": "an invitation to a persona's own email",
    "namespace_error_retry": "a namespace whose provisioning failed",
    "namespace_retry": "a namespace whose provisioning failed",
    "staff_user_enable": "a disabled user",
}


class _Forms(HTMLParser):
    """The posting forms of a page: (action, {field: value}) with the values as rendered."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[tuple[str, bool, dict[str, str]]] = []
        self.current: dict[str, str] | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            hx_post = attr.get("hx-post")
            if hx_post or attr.get("method", "get").lower() == "post":
                action = hx_post or attr.get("action") or self.page_path
                self.forms.append((urlsplit(action).path or self.page_path, bool(hx_post), {}))
                self.current = self.forms[-1][2]
            return
        if self.current is None or not attr.get("name"):
            if tag == "option" and self.current is not None and self.select:
                self._option(attr)
            return
        name = attr["name"]
        if tag in ("input", "button", "textarea") and attr.get("type") not in ("submit", "checkbox", "radio"):
            self.current.setdefault(name, attr.get("value", ""))
        elif tag == "input" and ("checked" in attr or name not in self.current):
            self.current[name] = attr.get("value", "on") if "checked" in attr else ""
        elif tag == "button" and attr.get("value"):
            self.current.setdefault(name, attr["value"])
        elif tag == "select":
            self.select = name
            self.current.setdefault(name, "")

    def _option(self, attr):
        assert self.current is not None and self.select is not None
        if "selected" in attr or not self.current[self.select]:
            self.current[self.select] = attr.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def _allowed_pages(world):
    """(persona, path) of every page the matrix lets a signed-in persona open with a GET."""
    for name, rule in sorted(RULES.items()):
        if rule.method != "get" or name in NOT_PAGES:
            continue
        url = reverse(name, kwargs=rule.kwargs(world)) + rule.query
        if url.startswith("/api/"):
            continue
        allowed, _ = LEVELS[rule.level]
        for persona in sorted(allowed - {"anonymous"}):
            yield persona, url
    yield from EXTRA_PAGES


def _posting_forms(client, world):
    """Each distinct posting form once: (persona, action, is_htmx, fields), the first persona
    who sees it posting it. A form that other personas see differently (more fields) counts anew."""
    seen: set[tuple[str, frozenset[str]]] = set()
    for persona, url in _allowed_pages(world):
        client.force_login(world.personas[persona])
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms(urlsplit(url).path)
        parser.feed(response.content.decode())
        for action, is_htmx, fields in parser.forms:
            fields.pop("csrfmiddlewaretoken", None)
            key = (action, frozenset(fields))
            if action.startswith(SKIPPED_ACTIONS) or key in seen:
                continue
            seen.add(key)
            yield persona, action, is_htmx, fields


@pytest.fixture
def world(fx):  # noqa: F811
    """The matrix's world with a pending quota request, so the decision forms show too."""
    team_quota_ensure(team=fx.team)
    namespace_quota_set(
        actor=fx.owner, namespace=fx.namespace, amounts=parse_amounts({"cpu": "1", "memory": "2Gi"})
    )
    quota_request_create(
        actor=fx.developer, namespace=fx.namespace, increments=parse_amounts({"cpu": "1"}), reason="more"
    )
    return fx


def _post(client, action, is_htmx, data):
    cache.clear()  # throttles would answer 429 long before the values run out
    headers = {"HX-Request": "true"} if is_htmx else {}
    with transaction.atomic():
        response = client.post(action, data, headers=headers)
        transaction.set_rollback(True)
    return response.status_code


def test_no_field_value_breaks_a_form(client, world):
    forms = list(_posting_forms(client, world))
    client.raise_request_exception = False  # every failure is listed, not only the first
    failures, posted, fields_fuzzed = [], 0, 0
    for persona, action, is_htmx, rendered in forms:
        client.force_login(world.personas[persona])
        base = {name: PLAUSIBLE.get(name, value) or value for name, value in rendered.items()}
        for field in rendered:
            fields_fuzzed += 1
            for value in HOSTILE:
                status = _post(client, action, is_htmx, {**base, field: value})
                posted += 1
                if status >= 500:
                    failures.append((persona, action, field, value[:24], status))
    print(f"{len(forms)} forms, {fields_fuzzed} fields, {posted} posts")  # the coverage, with -s
    assert failures == []


def test_every_posting_route_of_the_pages_is_reached(client, world):
    """The forms found cover every page route the matrix lists as a POST, so a form on a new
    page is fuzzed too; the ones left out say why."""
    reached = {resolve(action).view_name for _, action, _, _ in _posting_forms(client, world)}
    posting = {
        name
        for name, rule in RULES.items()
        if rule.method == "post" and not reverse(name, kwargs=rule.kwargs(world)).startswith("/api/")
    }
    assert posting - reached == set(NOT_REACHED)
