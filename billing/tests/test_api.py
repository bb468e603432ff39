"""Billing API: same permissions as the pages (outsider 404, member 403, non-finance 404)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import LedgerEntry, Statement
from billing.services.runs import days_bill

from .conftest import fill_day, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(acme):
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False):
        fill_day(acme.namespace, utc(2024, 3, 1), hours=48)
        days_bill(first=date(2024, 3, 1), last=date(2024, 3, 2), teams=[acme.team])
    return acme


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def team_endpoints(slug):
    return [
        reverse(f"billing-api:{name}", args=[slug]) for name in ("charges", "statements", "balance", "ledger")
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("owner", 200),
        ("billing", 200),
        ("manager", 200),
        ("member", 403),
        ("viewer", 403),
        ("outsider", 404),
        ("finance", 200),
        ("admin", 200),
    ],
)
def test_team_endpoints_follow_billing_permissions(billed, persona, expected):
    client = api(getattr(billed, persona))
    for url in team_endpoints(billed.team.slug):
        assert client.get(url).status_code == expected, url


def test_anonymous_requests_are_refused(billed):
    for url in team_endpoints(billed.team.slug):
        assert APIClient().get(url).status_code in (401, 403)


def test_charges_carry_currency_price_version_window_and_rule(billed):
    data = api(billed.owner).get(reverse("billing-api:charges", args=["acme"]), {"month": "2024-03"}).json()
    assert data["count"] == 4
    line = data["results"][0]
    assert line["currency"] == "USD" and line["price_version"] == 1 and line["amount"] == "0.96"
    assert line["window_start"].startswith("2024-03-02T00:00:00") and "max(cpu_request" in next(
        r["quantity_rule"] for r in data["results"] if r["metric"] == "cpu"
    )


def test_statement_total_equals_sum_of_charge_amounts(billed):
    client = api(billed.billing)
    statements = client.get(reverse("billing-api:statements", args=["acme"])).json()["results"]
    charges = client.get(reverse("billing-api:charges", args=["acme"])).json()["results"]
    assert Decimal(statements[0]["lines_total"]) == sum(Decimal(c["amount"]) for c in charges)


def test_balance_and_ledger(billed):
    client = api(billed.owner)
    balance = client.get(reverse("billing-api:balance", args=["acme"])).json()
    assert balance == {
        "team": "acme",
        "billing_mode": "prepaid",
        "currency": "USD",
        "balance": "-2.16",
        "band": "debt",
        "suspended_at": None,
    }
    assert len(client.get(reverse("billing-api:ledger", args=["acme"])).json()["results"]) == 4


def test_finance_records_topups_through_the_api(billed):
    url = reverse("billing-api:finance-ledger", args=["acme"])
    response = api(billed.finance).post(
        url, {"kind": "topup", "amount": "10.00", "reason": "Wire 7"}, format="json"
    )
    assert response.status_code == 201 and response.json()["amount"] == "10.00"
    assert (
        api(billed.finance)
        .post(url, {"kind": "topup", "amount": "-1", "reason": "x"}, format="json")
        .status_code
        == 400
    )
    for persona in ("owner", "billing", "outsider", "member"):
        assert (
            api(getattr(billed, persona))
            .post(url, {"kind": "topup", "amount": "5", "reason": "x"}, format="json")
            .status_code
            == 404
        )
    assert LedgerEntry.objects.filter(kind="topup").count() == 1
    assert Statement.objects.count() == 1


def test_manual_entries_and_first_charges_have_null_links_the_schema_allows(billed, client):
    # A top-up has no charge and a first charge adjusts nothing: both answer null, which the
    # schema once called a string.
    url = reverse("billing-api:finance-ledger", args=["acme"])
    body = (
        api(billed.finance).post(url, {"kind": "topup", "amount": "1", "reason": "x"}, format="json").json()
    )
    assert body["charge_key"] is None
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["components"]
    assert schemas["schemas"]["LedgerEntry"]["properties"]["charge_key"].get("nullable") is True
    assert schemas["schemas"]["Charge"]["properties"]["adjusts"].get("nullable") is True
