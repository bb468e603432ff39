"""``paginate(..., one_query=True)`` gives the page ``paginate`` gives, in one query; handed
``count=``, it reads only the page."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.pages import TOTAL, local_day, paginate
from tenants import selectors
from tenants.models import Namespace
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_namespaces(world, settings):
    settings.TENANTRY_PAGE_SIZE = 2
    for n in range(4):
        NamespaceFactory(team=world.team, name=f"acme-{n}")
    return Namespace.objects.filter(team=world.team).order_by("name")


def _page(queryset, requested, **kwargs):
    request = RequestFactory().get("/", {"page": requested, "other": "kept"} if requested else {})
    return paginate(request, queryset, **kwargs)


def _seen(page):
    return (
        list(page.object_list),
        page.number,
        page.paginator.count,
        page.paginator.num_pages,
        page.prev_url,
        page.next_url,
    )


@pytest.mark.parametrize(
    "requested", [None, "1", "2", "3", "4", "99", "0", "-1", "x", "2.0", "9223372036854775807", "9" * 30]
)
@pytest.mark.parametrize("shape", ["models", "values"])
def test_one_query_pages_are_the_pages_of_count_then_rows(five_namespaces, requested, shape):
    queryset = five_namespaces if shape == "models" else five_namespaces.values("name", "status")
    assert _seen(_page(queryset, requested, one_query=True)) == _seen(_page(queryset, requested))


def test_a_page_that_exists_is_one_query_and_its_rows_keep_no_total(five_namespaces):
    with CaptureQueriesContext(connection) as queries:
        page = _page(five_namespaces.values("name"), "2", one_query=True)
        rows = list(page.object_list)
        assert page.paginator.count == 5 and page.paginator.num_pages == 3
    assert len(queries.captured_queries) == 1
    assert rows == [{"name": "acme-2"}, {"name": "acme-3"}]  # after acme-0 and acme-1
    model_rows = list(_page(five_namespaces, "1", one_query=True).object_list)
    assert not any(hasattr(row, TOTAL) for row in model_rows)


def test_an_empty_list_is_one_query_and_one_empty_page(world):
    with CaptureQueriesContext(connection) as queries:
        page = _page(Namespace.objects.filter(name="none").order_by("name"), None, one_query=True)
        assert list(page.object_list) == [] and page.paginator.count == 0 and page.number == 1
    assert len(queries.captured_queries) == 1


def test_the_total_of_grouped_rows_counts_the_groups(world, settings):
    settings.TENANTRY_PAGE_SIZE = 1
    teams = selectors.teams_for_user(user=world.owner).values("name", "member_count")
    page = _page(teams, None, one_query=True)
    assert page.paginator.count == 1
    assert list(page.object_list) == [{"name": "Acme", "member_count": 7}]


@pytest.mark.parametrize("requested", [None, "2", "3", "99", "x"])
def test_a_known_count_gives_the_same_pages_reading_only_the_page(five_namespaces, requested):
    expected, count = _seen(_page(five_namespaces, requested)), five_namespaces.count()
    with CaptureQueriesContext(connection) as queries:
        assert _seen(_page(five_namespaces, requested, count=count)) == expected
    assert len(queries.captured_queries) == 1
    assert "COUNT" not in queries.captured_queries[0]["sql"].upper()


def test_an_empty_list_leaves_no_query_to_build_after_its_count(world):
    nothing = Namespace.objects.filter(name="none").order_by("name")
    with CaptureQueriesContext(connection) as queries:
        pages = [_page(nothing, None), _page(nothing, None, count=0)]
    assert len(queries.captured_queries) == 1  # the first one's count
    # A list, not an empty slice of the queryset (which a template's loop would still compile).
    assert [page.object_list for page in pages] == [[], []]
    assert all(type(page.object_list) is list for page in pages)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def test_local_day_is_the_day_the_date_filter_shows(zone):
    moment = datetime(2026, 1, 1, 23, 30, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        shown = Template('{{ moment|date:"Y-m-d" }}').render(Context({"moment": moment}))
        assert local_day(moment) == shown
    assert {"UTC": "2026-01-01", "Asia/Shanghai": "2026-01-02"}.get(zone, shown) == shown
