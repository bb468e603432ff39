"""Billing pages: who sees what (outsider 404, member without role 403, non-finance 404),
totals that match the lines, CSV exports, finance actions and fixed query counts."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.models import BillingAccount, LedgerEntry, PriceBook, Statement
from billing.services.days import day_bill
from billing.services.runs import days_bill
from billing.services.statements import statement_finalize
from clusters.connections import default_cluster
from metering.models import ClusterState, RuntimeClassProfile, UsageSample
from tenants.models import Namespace
from tests.factories import NamespaceFactory, TeamFactory

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db
NOW = utc(2024, 3, 5, 12)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def billed(acme):
    Namespace.objects.filter(team=acme.other_team).update(created_at=utc(2020, 1, 1))
    for ns in (acme.namespace, acme.other_namespace):
        fill_day(ns, utc(2024, 3, 1), hours=72, cpu="0.25")
    days_bill(first=date(2024, 3, 1), last=date(2024, 3, 3))
    acme.statement = Statement.objects.get(team=acme.team)
    acme.other_statement = Statement.objects.get(team=acme.other_team)
    acme.charge = acme.statement.lines.get(metric="cpu", day=date(2024, 3, 2))
    return acme


def team_urls(w):
    return [
        reverse("billing:team", args=[w.team.slug]),
        reverse("billing:statement", args=[w.team.slug, w.statement.pk]),
        reverse("billing:statement_csv", args=[w.team.slug, w.statement.pk]),
    ]


def finance_urls(w):
    return [
        reverse("billing:finance_index"),
        reverse("billing:finance_index") + "?format=csv",
        reverse("billing:finance_statement", args=[w.statement.pk]),
        reverse("billing:finance_statement_csv", args=[w.statement.pk]),
        reverse("billing:finance_namespace", args=[w.statement.pk, w.namespace.pk]),
        reverse("billing:finance_charge", args=[w.charge.pk]),
    ]


def staff_urls(w):
    return [
        reverse("billing:pricebooks"),
        reverse("billing:pricebook_edit", args=[PriceBook.objects.get().pk]),
        reverse("billing:runs"),
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("owner", 200),
        ("manager", 200),
        ("billing", 200),
        ("member", 403),
        ("developer", 403),
        ("outsider", 404),
        ("finance", 200),
        ("admin", 200),
    ],
)
def test_team_billing_pages_access(client, billed, persona, expected):
    client.force_login(getattr(billed, persona))
    for url in team_urls(billed):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("finance", 200), ("admin", 200), ("owner", 404), ("billing", 404), ("outsider", 404)],
)
def test_finance_pages_access(client, billed, persona, expected):
    client.force_login(getattr(billed, persona))
    for url in finance_urls(billed):
        assert client.get(url).status_code == expected, url


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", 200), ("finance", 404), ("owner", 404), ("outsider", 404)]
)
def test_staff_pages_access(client, billed, persona, expected):
    client.force_login(getattr(billed, persona))
    for url in staff_urls(billed):
        assert client.get(url).status_code == expected, url


def test_anonymous_users_are_sent_to_login(client, billed):
    for url in team_urls(billed) + finance_urls(billed) + staff_urls(billed):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_cannot_see_a_statement_of_another_team_through_their_own_slug(client, billed):
    client.force_login(billed.outsider)
    url = reverse("billing:statement", args=[billed.other_team.slug, billed.statement.pk])
    assert client.get(url).status_code == 404


def test_statement_page_and_csv_totals_equal_the_sum_of_lines(client, billed):
    client.force_login(billed.owner)
    lines = list(billed.statement.lines.values_list("amount", flat=True))
    expected = sum(lines, Decimal("0"))
    page = client.get(reverse("billing:statement", args=[billed.team.slug, billed.statement.pk]))
    assert f'data-testid="total">{expected:.2f} USD' in page.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("billing:statement_csv", args=[billed.team.slug, billed.statement.pk])
                ).content.decode()
            )
        )
    )
    body, total = rows[1:-1], rows[-1]
    amount = rows[0].index("amount")
    assert len(body) == len(lines) == 6
    assert sum((Decimal(r[amount]) for r in body), Decimal("0")) == Decimal(total[amount]) == expected
    team_page = client.get(reverse("billing:team", args=[billed.team.slug])).content.decode()
    assert f"{expected:.2f} USD" in team_page
    assert "forecast to month end" in team_page
    for name in ("billing:statement", "billing:statement_csv"):
        assert f'href="{reverse(name, args=[billed.team.slug, billed.statement.pk])}"' in team_page


def test_finance_drill_down_shows_the_samples_behind_a_line(client, billed):
    UsageSample.objects.create(
        namespace=billed.namespace,
        metric="cpu_request",
        window_start=utc(2024, 3, 2, 10),
        window_end=utc(2024, 3, 2, 10, 5),
        quantity=Decimal("0.25"),
        source="quota",
    )
    UsageSample.objects.create(
        namespace=billed.namespace,
        metric="cpu_request",
        window_start=utc(2024, 3, 3, 10),
        window_end=utc(2024, 3, 3, 10, 5),
        quantity=Decimal("9"),
        source="quota",
    )
    client.force_login(billed.finance)
    page = client.get(reverse("billing:finance_charge", args=[billed.charge.pk])).content.decode()
    assert "2024-03-02 10:00:00" in page and "2024-03-03 10:00:00" not in page
    assert page.count("<td>cpu_request</td>") == 24 + 1
    assert billed.charge.quantity_rule[:40] in page


def test_finance_filters_and_csv_export(client, billed):
    client.force_login(billed.finance)
    page = client.get(reverse("billing:finance_index"), {"team": "glob", "month": "2024-03"}).content.decode()
    assert "Globex" in page and "Acme" not in page
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("billing:finance_index") + "?format=csv").content.decode()))
    )
    assert rows[0] == ["team", "month", "currency", "status", "lines", "total"]
    assert {r[0] for r in rows[1:]} == {"acme", "globex"}
    assert Decimal(next(r for r in rows if r[0] == "acme")[5]) == sum(
        billed.statement.lines.values_list("amount", flat=True)
    )


def test_finance_status_filter_offers_the_statement_statuses_in_the_users_language(client, billed):
    client.force_login(billed.finance)
    page = client.get(reverse("billing:finance_index"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<option value="" selected>任意状态</option>' in page
    assert '<option value="finalized">已结算</option>' in page
    assert "Any status" not in page and ">Finalized<" not in page
    page = client.get(reverse("billing:finance_index"), {"status": "finalized"}).content.decode()
    assert '<option value="finalized" selected>Finalized</option>' in page


def test_finance_index_shows_a_page_of_statements_with_the_totals_of_all(client, billed, settings):
    settings.TENANTRY_PAGE_SIZE = 1
    client.force_login(billed.finance)
    url = reverse("billing:finance_index")
    pages = [client.get(url, {"page": n}).content.decode() for n in (1, 2)]
    statements = [billed.statement, billed.other_statement]
    for page in pages:
        assert sum(f"/billing/finance/statements/{s.pk}/" in page for s in statements) == 1
    assert "?page=2" in pages[0] and 'rel="prev"' in pages[1]
    totals = {}
    for statement in statements:
        amounts = statement.lines.values_list("amount", flat=True)
        totals[statement.currency] = totals.get(statement.currency, 0) + sum(amounts)
    response = client.get(url)
    assert response.context["totals"] == totals


def test_a_finalized_statement_shows_its_snapshot_total_which_is_the_sum_of_its_lines(client, billed):
    lines_total = sum(billed.statement.lines.values_list("amount", flat=True))
    statement_finalize(statement=billed.statement, now=utc(2030, 1, 1))
    client.force_login(billed.finance)
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("billing:finance_index") + "?format=csv").content.decode()))
    )
    acme = next(r for r in rows if r[0] == "acme")
    assert acme[3] == "finalized" and Decimal(acme[5]) == lines_total
    expected: dict[str, Decimal] = {}
    for statement in Statement.objects.all():
        amounts = statement.lines.values_list("amount", flat=True)
        expected[statement.currency] = expected.get(statement.currency, Decimal(0)) + sum(amounts, Decimal(0))
    assert client.get(reverse("billing:finance_index")).context["totals"] == expected


def test_finance_records_a_topup_and_marks_a_statement_paid(client, billed):
    client.force_login(billed.finance)
    response = client.post(
        reverse("billing:finance_ledger_record", args=[billed.team.slug]),
        {"kind": "topup", "amount": "25.00", "reason": "Wire 42", "next": "/billing/finance/"},
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind="topup")
    assert entry.amount == Decimal("25") and entry.created_by == billed.finance
    assert BillingAccount.objects.get(team=billed.team).balance == Decimal("25") - Decimal("1.08")
    with time_machine.travel(utc(2024, 4, 10), tick=False):
        statement_finalize(statement=billed.statement)
        client.force_login(billed.finance)  # the March session has expired by now
        client.post(reverse("billing:finance_statement_paid", args=[billed.statement.pk]))
    billed.statement.refresh_from_db()
    assert billed.statement.status == "paid"


@pytest.mark.parametrize("after", ["0", "-1", "billing:runs", "9999-12-31T23:59", "名前"])
def test_finance_ledger_form_with_a_next_that_is_no_path_returns_to_the_team(client, billed, after):
    """``redirect()`` took these for view names to reverse: a 500 for all but "billing:runs"."""
    client.force_login(billed.finance)
    response = client.post(
        reverse("billing:finance_ledger_record", args=[billed.team.slug]),
        {"kind": "topup", "amount": "5", "reason": "Wire 43", "next": after},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:finance_team", args=[billed.team.slug])
    assert LedgerEntry.objects.filter(kind="topup", reason="Wire 43").exists()


def test_non_finance_cannot_post_finance_actions(client, billed):
    client.force_login(billed.owner)
    assert (
        client.post(
            reverse("billing:finance_ledger_record", args=[billed.team.slug]),
            {"kind": "topup", "amount": "5", "reason": "me"},
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("billing:finance_statement_paid", args=[billed.statement.pk])).status_code == 404
    )
    assert not LedgerEntry.objects.filter(kind="topup").exists()


def test_staff_creates_a_price_version_with_multipliers_and_class_prices_and_past_ones_are_read_only(
    client, billed
):
    client.force_login(billed.admin)
    data = {"currency": "USD", "effective_from": "2024-04-01", "cpu_core_hour": "0.05", "memory_gib_hour": "0.005",
            "storage_gib_hour": "0.0001", "gpu_hour": "1.5", "egress_gib": "0.09", "load_balancer_hour": "0.025"}  # fmt: skip
    assert client.post(reverse("billing:pricebooks"), {**data, "cpu_core_hour": "-1"}).status_code == 200
    assert PriceBook.objects.count() == 1
    # The form offers every runtime's multiplier (required) and known storage classes (optional).
    form = client.get(reverse("billing:pricebooks")).context["form"]
    runtimes = {n: form.initial[n] for n in form.fields if n.startswith("runtime__")}
    assert runtimes["runtime__kata-fc"] == RuntimeClassProfile.objects.get(name="kata-fc").price_multiplier
    assert "runtime__kata-fc" in client.post(reverse("billing:pricebooks"), data).context["form"].errors
    ClusterState.objects.create(cluster=default_cluster(), storage_classes=["fast-ssd"])
    posted = {**data, **runtimes, "runtime__kata-fc": "2", "storage_class__fast-ssd": "0.0004"}
    assert client.post(reverse("billing:pricebooks"), posted).status_code == 302
    assert PriceBook.objects.count() == 2
    new = PriceBook.objects.get(version=2)
    assert new.runtimes.get(runtime_class="kata-fc").multiplier == 2
    assert new.storage_classes.get().storage_gib_hour == Decimal("0.0004")
    past = PriceBook.objects.get(version=1)
    page = client.get(reverse("billing:pricebook_edit", args=[past.pk])).content.decode()
    assert "read-only" in page
    client.post(reverse("billing:pricebook_edit", args=[past.pk]), {**data, "cpu_core_hour": "9"})
    past.refresh_from_db()
    assert past.cpu_core_hour == Decimal("0.04")


def _more_data(w, n):
    for i in range(n):
        ns = NamespaceFactory(team=w.team, name=f"acme-x{i}", created_at=utc(2020, 1, 1))
        fill_day(ns, utc(2024, 3, 1), hours=48)
    days_bill(first=date(2024, 3, 1), last=date(2024, 3, 2))


@pytest.mark.parametrize(
    ("name", "persona", "url"),
    [
        ("team", "owner", lambda w: reverse("billing:team", args=[w.team.slug])),
        ("statement", "owner", lambda w: reverse("billing:statement", args=[w.team.slug, w.statement.pk])),
        ("finance", "finance", lambda w: reverse("billing:finance_index")),
        (
            "finance_statement",
            "finance",
            lambda w: reverse("billing:finance_statement", args=[w.statement.pk]),
        ),
        (
            "finance_namespace",
            "finance",
            lambda w: reverse("billing:finance_namespace", args=[w.statement.pk, w.namespace.pk]),
        ),
        ("prices", "admin", lambda w: reverse("billing:pricebooks")),
        ("runs", "admin", lambda w: reverse("billing:runs")),
    ],
)
def test_list_pages_cost_the_same_queries_for_small_and_large_data(
    client, billed, django_assert_num_queries, name, persona, url
):
    client.force_login(getattr(billed, persona))
    target = url(billed)
    client.get(target)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(target).status_code == 200
    _more_data(billed, 4)
    with django_assert_num_queries(len(small)):
        assert client.get(target).status_code == 200


def test_rerun_from_page_data_is_a_noop(billed):
    before = LedgerEntry.objects.count()
    day_bill(team=billed.team, day=date(2024, 3, 2))
    assert LedgerEntry.objects.count() == before


def test_team_billing_shows_the_prepaid_balance_read_with_the_team(client, world):
    type(world.team).objects.filter(pk=world.team.pk).update(billing_mode="prepaid", currency="USD")
    client.force_login(world.owner)
    url = reverse("billing:team", args=[world.team.slug])
    without = client.get(url)  # no account yet: a zero balance
    assert without.status_code == 200 and "0.00 USD" in without.content.decode()
    BillingAccount.objects.create(team=world.team, balance=Decimal("12.34"), band="low")
    html = client.get(url).content.decode()
    assert "12.34 USD" in html
    assert 'class="balance band-low"' in html


def test_statements_and_recent_usage_match_the_querysets_they_replace(billed):
    """The billing page's one written-out query: the team's statements alone, newest month
    first, each with the total the queryset annotates (a draft's lines summed, a finalized
    statement's snapshot), and the sum of the usage lines of a range of days, as the ORM
    reads them (SQLite and PostgreSQL)."""
    from django.db.models import Sum

    from billing.models import Charge, ChargeKind
    from billing.selectors import statements_and_recent_usage, statements_for_team

    team = billed.team
    older = Statement.objects.create(
        team=team, month=date(2024, 1, 1), currency="USD", status="finalized", total=Decimal("12.345"),
        period_start=utc(2024, 1, 1), period_end=utc(2024, 2, 1),
    )  # fmt: skip
    empty = Statement.objects.create(
        team=team,
        month=date(2024, 2, 1),
        currency="USD",
        period_start=utc(2024, 2, 1),
        period_end=utc(2024, 3, 1),
    )
    statements, recent = statements_and_recent_usage(team=team, first=date(2024, 3, 2), last=date(2024, 3, 3))
    expected = list(statements_for_team(team=team))
    assert [s.pk for s in statements] == [s.pk for s in expected] == [billed.statement.pk, empty.pk, older.pk]
    assert [s.line_total for s in statements] == [s.line_total for s in expected]
    assert statements[0].line_total == sum(c.amount for c in billed.statement.lines.all()) > 0
    assert statements[1].line_total is None and statements[2].line_total == Decimal("12.345")
    assert all(isinstance(s.line_total, Decimal) for s in (statements[0], statements[2]))
    assert statements[0].month == date(2024, 3, 1) and statements[0].team_id == team.pk
    lines = Charge.objects.filter(
        team=team, kind=ChargeKind.USAGE, day__range=(date(2024, 3, 2), date(2024, 3, 3))
    )
    assert recent == lines.aggregate(total=Sum("amount"))["total"] > 0
    assert recent < sum(c.amount for c in billed.statement.lines.all())  # the 1st left out
    # No lines in the range (the first day after the last): zero, the statements still listed.
    statements, recent = statements_and_recent_usage(team=team, first=date(2024, 3, 4), last=date(2024, 3, 3))
    assert recent == 0 and len(statements) == 3
    # The other team sees only its own statement and lines; a team with none, no statement.
    statements, recent = statements_and_recent_usage(
        team=billed.other_team, first=date(2024, 3, 1), last=date(2024, 3, 3)
    )
    assert [s.pk for s in statements] == [billed.other_statement.pk]
    assert recent == billed.other_statement.lines.aggregate(total=Sum("amount"))["total"]
    statements, recent = statements_and_recent_usage(
        team=TeamFactory(), first=date(2024, 3, 1), last=date(2024, 3, 3)
    )
    assert statements == [] and recent == 0


def test_page_notices_and_ledger_are_the_querysets_rows(client, billed):
    """The billing pages' notices and ledger, from querysets compiled once per process: the
    team's own rows alone, newest first, as many as shown, with each charge entry's line day
    and metric (SQLite and PostgreSQL); the pages show them."""
    from datetime import timedelta

    from billing.models import BillingNotice
    from billing.selectors import ledger_for_team, notices_for_team, page_ledger, page_notices

    team, other = billed.team, billed.other_team
    type(team).objects.filter(pk__in=[team.pk, other.pk]).update(billing_mode="prepaid")
    for n in range(55):  # top-ups, each a minute apart, after the charge entries
        LedgerEntry.objects.create(
            team=team, kind="topup", amount=Decimal(n + 1), currency="USD", reason=f"Wire {n}"
        )
    LedgerEntry.objects.create(
        team=other, kind="topup", amount=Decimal("7"), currency="USD", reason="Other wire"
    )
    LedgerEntry.objects.filter(kind="topup").update(created_at=utc(2024, 3, 6))
    for n, entry in enumerate(LedgerEntry.objects.filter(kind="topup").order_by("pk")):
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=utc(2024, 3, 6) + timedelta(minutes=n))
    BillingNotice.objects.all().delete()  # the ones the billing run left
    for n in range(7):
        notice = BillingNotice.objects.create(
            team=team, band_from="normal", band_to="low", balance=n, currency="USD"
        )
        BillingNotice.objects.filter(pk=notice.pk).update(created_at=utc(2024, 3, 1) + timedelta(hours=n))
    BillingNotice.objects.create(team=other, band_from="low", band_to="debt", balance=-1, currency="USD")

    ledger = page_ledger(team=team)
    expected = list(ledger_for_team(team=team)[:50])
    assert len(ledger) == 50 and [e.pk for e in ledger] == [e.pk for e in expected]
    assert [(e.kind, e.amount, e.currency, e.reason, e.created_at) for e in ledger] == [
        (e.kind, e.amount, e.currency, e.reason, e.created_at) for e in expected
    ]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other_ledger = page_ledger(team=other)
    charged = [e for e in other_ledger if e.charge_id]
    expected_lines = {
        e.pk: (e.charge.day, e.charge.metric) for e in ledger_for_team(team=other) if e.charge_id
    }
    with CaptureQueriesContext(connection) as queries:  # the lines came with the entries
        assert charged and all((e.charge.day, e.charge.metric) == expected_lines[e.pk] for e in charged)
        assert all(e.charge is None for e in ledger)
    assert len(queries) == 0
    assert isinstance(charged[0].charge.day, date) and charged[0].charge.day.month == 3
    assert "Other wire" not in {e.reason for e in ledger}
    notices = page_notices(team=team)
    assert [n.pk for n in notices] == [n.pk for n in notices_for_team(team=team)[:5]]
    assert [n.balance for n in notices] == [6, 5, 4, 3, 2] and all(n.team_id == team.pk for n in notices)

    client.force_login(billed.owner)
    html = client.get(reverse("billing:team", args=[team.slug])).content.decode()
    assert "<td>Wire 54</td>" in html and "<td>Wire 5</td>" in html and "<td>Wire 4</td>" not in html
    assert "Other wire" not in html
    assert html.count("balance normal → <strong>low</strong>") == 5 and "<strong>in debt</strong>" not in html
    client.force_login(billed.finance)
    html = client.get(reverse("billing:finance_team", args=[other.slug])).content.decode()
    first = charged[-1]
    assert f"{first.charge.day:%b}" in html and "Other wire" in html and "Wire 54" not in html
