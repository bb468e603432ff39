"""Finance can top up any prepaid team, including a new one with no statement yet."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import BillingAccount, LedgerEntry, Statement
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(world):
    """A prepaid team created a minute ago: no account, no statement, balance 0."""
    team = TeamFactory(name="Newcomer", slug="newcomer", billing_mode="prepaid", currency="KWD")
    assert not Statement.objects.filter(team=team).exists()
    return team


def test_finance_finds_a_new_prepaid_team_and_tops_it_up(client, world, newcomer):
    client.force_login(world.finance)
    listing = client.get(reverse("billing:finance_teams")).content.decode()
    assert reverse("billing:finance_team", args=["newcomer"]) in listing
    page = client.get(reverse("billing:finance_team", args=["newcomer"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "0.000 KWD" in html and reverse("billing:finance_ledger_record", args=["newcomer"]) in html

    response = client.post(
        reverse("billing:finance_ledger_record", args=["newcomer"]),
        {"kind": "topup", "amount": "25.5", "reason": "Wire 1234",
         "next": reverse("billing:finance_team", args=["newcomer"])},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == reverse(
        "billing:finance_team", args=["newcomer"]
    )
    entry = LedgerEntry.objects.get(team=newcomer)
    assert (entry.kind, entry.amount, entry.currency) == ("topup", Decimal("25.5"), "KWD")
    assert BillingAccount.objects.get(team=newcomer).balance == Decimal("25.5")
    assert "25.500 KWD" in client.get(reverse("billing:finance_team", args=["newcomer"])).content.decode()


def test_invoiced_teams_have_no_top_up_form(client, world):
    TeamFactory(name="Invoiced", slug="invoiced", billing_mode="invoiced")
    client.force_login(world.finance)
    page = client.get(reverse("billing:finance_team", args=["invoiced"])).content.decode()
    assert reverse("billing:finance_ledger_record", args=["invoiced"]) not in page
    assert "invoiced" in page.lower()


@pytest.mark.parametrize("persona", ["outsider", "owner", "billing", "member"])
def test_only_finance_and_staff_see_the_team_balances(client, world, newcomer, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("billing:finance_teams")).status_code == 404
    assert client.get(reverse("billing:finance_team", args=["newcomer"])).status_code == 404


def test_the_balances_page_costs_the_same_queries_for_more_teams(client, world, newcomer):
    client.force_login(world.finance)
    url = reverse("billing:finance_teams")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(5):
        TeamFactory(name=f"More {n}", slug=f"more-{n}", billing_mode="prepaid")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
