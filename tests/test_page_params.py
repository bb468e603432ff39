"""Whatever a query string holds, a page answers without a 5xx.

Every page the personas see (the pages of ``test_pages_in_chinese``) is asked with each query
parameter a page reads set to one hostile value at a time: numbers beyond any integer the
database holds, negative and zero page numbers, months that do not exist, control characters,
quotes and very long text. A page may ignore a parameter, refuse it (400) or show an error; it
never fails.
"""

import pytest
from django.urls import reverse

from tests.test_pages_in_chinese import persona_page_cases

pytestmark = pytest.mark.django_db

# The query parameters the console's pages read (paginators name theirs ``<list>_page``).
PARAMS = (
    "page", "teams_page", "namespaces_page", "members_page", "invitations_page", "costs_page",
    "allocations", "range", "month", "status", "team", "currency", "tab", "q", "format", "metric",
    "from", "to", "step", "tail", "section", "scope", "edit", "next", "action", "container",
)  # fmt: skip
HOSTILE = (
    "9" * 30,
    "9223372036854775808",
    "-1",
    "0",
    "2024-13",
    "0000-00",
    "\x00",
    "' OR 1=1 --",
    "%ff",
    "x" * 3000,
)


@pytest.mark.parametrize(("persona", "name", "args"), list(persona_page_cases()))
def test_no_query_string_breaks_a_page(client, world, persona, name, args):
    client.force_login(getattr(world, persona))
    url = reverse(name, args=args)
    failures = []
    for value in HOSTILE:
        response = client.get(url, dict.fromkeys(PARAMS, value))
        if response.status_code >= 500:
            failures.append((value[:20], response.status_code))
    assert failures == []
