"""``row_urls`` gives what ``reverse()`` gives, for every row."""

import pytest
from django.urls import reverse

from core.urls import MARKER, row_urls, url_of


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


@pytest.mark.parametrize(
    ("viewname", "args"),
    [
        ("team_list", ()),
        ("dashboard", ()),
        ("billing:finance_index", ()),
        ("team_detail", ("acme",)),
        ("metering:team_quota", ("team-9",)),
        ("billing:team", ("acme",)),
        ("member_role", ("acme", 42)),
        ("invitation_revoke", ("x_y-1", 1234567)),
        ("namespace_detail", ("a b%c",)),
    ],
)
def test_url_of_is_the_url_reverse_gives(viewname, args):
    assert url_of(viewname, *args) == reverse(viewname, args=args)
    assert url_of(viewname, *args) == reverse(viewname, args=args)  # from the kept shape


def test_url_shapes_follow_the_script_prefix_and_the_urlconf(settings):
    from django.urls import get_script_prefix, set_script_prefix

    assert url_of("team_detail", "acme") == "/teams/acme/"
    prefix = get_script_prefix()
    set_script_prefix("/console/")
    try:
        assert (
            url_of("team_detail", "acme") == reverse("team_detail", args=["acme"]) == "/console/teams/acme/"
        )
        assert row_urls("member_role", "acme")(5) == "/console/teams/acme/members/5/role/"
    finally:
        set_script_prefix(prefix)
    assert url_of("team_detail", "acme") == "/teams/acme/"
    settings.ROOT_URLCONF = "bench.scale_urls"
    assert url_of("bench-base") == reverse("bench-base") == "/_bench/base"


def test_a_shape_with_a_marker_elsewhere_falls_back_to_reverse(monkeypatch):
    from core import urls

    def reverse_with_markers_twice(viewname, args=()):  # as if the URL's own text held them
        url = reverse(viewname, args=args)
        return url + "#" + "".join(str(a) for a in args if MARKER in str(a))

    monkeypatch.setattr(urls, "reverse", reverse_with_markers_twice)
    monkeypatch.setattr(urls, "_shapes", {})
    assert url_of("team_detail", "acme") == "/teams/acme/#"
    assert row_urls("member_role", "acme")(5) == "/teams/acme/members/5/role/#"
    assert urls._shapes and set(urls._shapes.values()) == {None}


def test_shapes_kept_are_bounded(monkeypatch):
    from core import urls

    monkeypatch.setattr(urls, "MAX_SHAPES", 2)
    monkeypatch.setattr(urls, "_shapes", {})
    for name in ("team_list", "dashboard", "billing:finance_index"):
        url_of(name)
    assert len(urls._shapes) <= 2
    assert url_of("team_list") == reverse("team_list")


def test_values_are_quoted_as_reverse_quotes_them():
    """Plain text (ids, slugs, DNS labels) goes in as it is, anything else quoted alike."""
    for value in ("acme-dev", "A.b_c~d-1", "a b", "ä", "%", "x?y#z", "a&b=c;d", "<'\">", 0, -5):
        assert row_urls("namespace_detail")(value) == reverse("namespace_detail", args=[value])
        assert url_of("namespace_detail", value) == reverse("namespace_detail", args=[value])
