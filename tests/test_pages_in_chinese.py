"""Every persona's pages answer 200 in Chinese and show no English left untranslated.

The rendered page's visible text (scripts, styles and code blocks aside) may keep English only
for the data on it (team and namespace names, email addresses) and for the technical terms the
template check allows (kubectl, kubeconfig, CPU, GiB …).
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from console.tests.test_templates_translated import ALLOWED

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
# The demo data on the pages: names people typed (and plan names), not the console's words.
DATA_WORDS = {"acme", "globex", "tenantry", "default", "example", "standard", "starter"}
# Emails, paths, numbers, names-with-dashes, key=value examples, dotted identifiers, quoted
# identifiers (“namespace.created”) and acronyms (USD, ISO): data and codes, not prose.
TOKEN_OF_DATA = re.compile(r"\S*[@/\d_=]\S*|\S+-\S+|\S*\w\.\w\S*|“[^”]*”|\b[A-Z]{2,}\b")
WORD = re.compile(r"[A-Za-z][A-Za-z']+")

TEAM_PAGES = ["dashboard", "team_list", "access", "token_list", "preferences", "account_email"]
PERSONA_PAGES = {
    "owner": [
        *TEAM_PAGES,
        ("team_detail", "acme"),
        ("team_audit", "acme"),
        ("metering:team_quota", "acme"),
        ("billing:team", "acme"),
        ("namespace_detail", "acme-dev"),
        ("namespace_access", "acme-dev"),
        ("metering:namespace_usage", "acme-dev"),
        ("namespace_objects", "acme-dev"),
        ("invitation_create", "acme"),
        ("team_create",),
        ("namespace_create", "acme"),
    ],
    "manager": [*TEAM_PAGES, ("team_detail", "acme"), ("metering:team_quota", "acme")],
    "member": [*TEAM_PAGES, ("team_detail", "acme"), ("metering:team_quota", "acme")],
    "developer": [*TEAM_PAGES, ("namespace_detail", "acme-dev"), ("metering:namespace_usage", "acme-dev")],
    "viewer": [*TEAM_PAGES, ("namespace_access", "acme-dev")],
    "billing": [*TEAM_PAGES, ("billing:team", "acme")],
    "outsider": [*TEAM_PAGES, ("team_detail", "globex")],
    "finance": ["dashboard", "billing:finance_index"],
    "admin": [
        "dashboard",
        "cluster_list",
        "cluster_new",
        ("team_placement", "acme"),
        "namespace_error_list",
        "metering:staff_capacity",
        "metering:staff_runtimes",
        "billing:pricebooks",
        "billing:runs",
    ],
}
ANONYMOUS_PAGES = ["account_login", "account_signup", "account_reset_password"]


class _VisibleText(HTMLParser):
    SKIP = {"script", "style", "code", "pre", "textarea", "option"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.skipping: list[str] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        # translate="no" marks Kubernetes' own words (condition types, reasons, messages); an
        # element in another language says so with lang (the switcher's "English").
        other_language = any(name == "lang" and not (value or "").startswith("zh") for name, value in attrs)
        if tag in self.SKIP or ("translate", "no") in attrs or other_language:
            self.skipping.append(tag)
            self.depth += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.chunks.append(data)


def english_left(html: str, data_words: set[str]) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = TOKEN_OF_DATA.sub(" ", " ".join(parser.chunks))
    return {w for w in WORD.findall(text) if w.lower() not in ALLOWED | DATA_WORDS | data_words}


def _data_words(world) -> set[str]:
    words = set()
    for user in (world.owner, world.outsider, world.finance, world.admin):
        words.add(user.username.lower())
    for namespace in (world.namespace, world.other_namespace):
        words.update(w.lower() for w in WORD.findall(namespace.display_name or ""))
    return words


def persona_page_cases():
    """A pytest param (persona, URL name, arguments) for each page each persona sees."""
    for persona, pages in PERSONA_PAGES.items():
        for page in pages:
            name, *args = (page,) if isinstance(page, str) else page
            yield pytest.param(persona, name, args, id=f"{persona}-{name}")


@pytest.mark.parametrize(("persona", "name", "args"), list(persona_page_cases()))
def test_page_answers_in_chinese_with_no_english_left(client, world, persona, name, args):
    client.force_login(getattr(world, persona))
    response = client.get(reverse(name, args=args), **ZH)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert english_left(response.content.decode(), _data_words(world)) == set()


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_pages_in_chinese(client, world, name):
    response = client.get(reverse(name), **ZH)
    assert response.status_code == 200
    assert english_left(response.content.decode(), set()) == set()


def test_the_page_check_sees_english():
    assert english_left("<p>Dashboard</p>", set()) == {"Dashboard"}
    assert english_left('<p title="Main menu">概览</p>', set()) == {"Main", "menu"}
    assert (
        english_left("<p>概览 <code>kubectl get pods</code> owner@example.com acme-dev</p>", set()) == set()
    )
