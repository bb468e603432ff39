"""``row_urls`` gives what ``reverse()`` gives, for every row."""

import pytest
from django.urls import reverse

from core.urls import MARKER, row_urls


@pytest.mark.parametrize(
    ("viewname", "args", "lasts"),
    [
        ("member_role", ("acme",), (1, 42, 1234567)),
        ("member_remove", ("team-9",), (7,)),
        ("namespace_detail", (), ("acme-dev", "a", "x-1-y")),
        ("metering:namespace_usage", (), ("acme-prod",)),
        ("invitation_revoke", ("acme",), (3,)),
    ],
)
def test_row_urls_are_the_urls_reverse_gives(viewname, args, lasts):
    url = row_urls(viewname, *args)
    for last in lasts:
        assert url(last) == reverse(viewname, args=[*args, last])


def test_a_name_reverse_would_quote_is_quoted_alike():
    assert row_urls("namespace_detail")("a b%c") == reverse("namespace_detail", args=["a b%c"])


def test_a_marker_elsewhere_in_the_url_falls_back_to_reverse_per_row():
    url = row_urls("member_role", MARKER)
    assert url(5) == reverse("member_role", args=[MARKER, 5]) == f"/teams/{MARKER}/members/5/role/"
