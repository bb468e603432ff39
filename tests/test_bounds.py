"""Every number and name people type is bounded at every boundary with the limits in
``core.limits`` (form, API serializer, service, database constraint), and the largest values
that can be stored never turn a page or an API answer into a 500.

The first tests are the reproductions from the review (issue 8, section 3).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import BillingAccount, LedgerEntry
from billing.services.accounts import account_for_team, ledger_record
from core import limits
from metering.amounts import RESOURCES, parse_amounts
from metering.models import NamespaceQuota, QuotaRequest, TeamQuota
from metering.services.quotas import (
    namespace_quota_set,
    quota_request_approve,
    quota_request_create,
    team_quota_ensure,
    team_quota_set,
)
from metering.tests.test_views import api, team_quota_post
from tenants.models import ApiToken
from tenants.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

TOO_MUCH = "999999999999999.999"


# --- The reproductions ----------------------------------------------------------------------


def test_a_team_quota_of_ten_to_the_twenty_namespaces_is_a_field_error_not_a_500(client, world):
    team_quota_ensure(team=world.team)
    client.force_login(world.admin)
    response = team_quota_post(client, max_namespaces=str(10**20))
    assert response.status_code == 200
    assert "max_namespaces" in response.context["team_quota_form"].errors
    assert TeamQuota.objects.get(team=world.team).max_namespaces == 3
    with pytest.raises(ValidationError):
        team_quota_set(
            actor=world.admin,
            team=world.team,
            amounts=parse_amounts({"cpu": "4"}),
            max_namespaces=limits.MAX_NAMESPACES_PER_TEAM + 1,
        )


def test_a_ledger_amount_of_a_quadrillion_is_refused_by_page_api_and_service(client, world):
    client.force_login(world.finance)
    page = client.post(
        reverse("billing:finance_ledger_record", args=["acme"]),
        {"kind": "topup", "amount": TOO_MUCH, "reason": "x"},
        follow=True,
    )
    assert page.status_code == 200
    response = api(world.finance).post(
        "/api/v1/billing/finance/teams/acme/ledger/",
        {"kind": "topup", "amount": TOO_MUCH, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400 and "amount" in response.json()
    with pytest.raises(ValidationError, match="At most"):
        ledger_record(
            actor=world.finance, team=world.team, kind="topup", amount=Decimal(TOO_MUCH), reason="x"
        )
    assert not LedgerEntry.objects.exists()
    # The team's pages and API still answer.
    client.force_login(world.owner)
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("billing:team", args=["acme"])).status_code == 200
    assert api(world.owner).get("/api/v1/billing/teams/acme/ledger/").status_code == 200


def test_a_token_expiring_in_the_year_9999_is_refused_by_api_service_and_database(world):
    response = api(world.owner).post(
        "/api/v1/tokens/", {"name": "forever", "expires_at": "9999-12-31T00:00:00Z"}, format="json"
    )
    assert response.status_code == 400 and "expires_at" in response.json()
    with pytest.raises(ValidationError):
        api_token_create(user=world.owner, name="forever", expires_at=datetime(9999, 12, 31, tzinfo=UTC))
    token, _ = api_token_create(
        user=world.owner, name="a year", expires_at=timezone.now() + timedelta(days=limits.MAX_API_TOKEN_DAYS)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=datetime(9999, 12, 31, tzinfo=UTC))


@pytest.mark.parametrize(
    ("increments", "field"),
    [({"cpu": "1Gi"}, "cpu"), ({"storage_classes": {"../x": "1Gi"}}, "storage_classes.../x")],
)
def test_a_billion_cores_or_a_storage_class_named_dot_dot_is_refused(client, world, increments, field):
    team_quota_ensure(team=world.team)
    body = {"namespace": "acme-dev", "reason": "more", "increments": increments}
    response = api(world.developer).post("/api/v1/teams/acme/quota-requests/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    client.force_login(world.developer)
    form = {"namespace": "acme-dev", "reason": "more"}
    if "cpu" in increments:
        form["cpu"] = increments["cpu"]
    else:
        form["storage_classes"] = "../x=1Gi"
    page = client.post(reverse("metering:quota_request_new", args=["acme"]), form, follow=True)
    assert page.status_code == 200
    assert not QuotaRequest.objects.exists()


# --- Each family of fields, at every boundary -------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.key)
def test_each_quota_resource_is_bounded_by_parser_service_and_database(world, resource):
    over = {**{r.key: 0 for r in RESOURCES}, "storage_classes": {}, resource.key: resource.maximum + 1}
    with pytest.raises(ValidationError) as refused:
        parse_amounts({resource.key: str(resource.maximum + 1) + ("m" if resource.kind == "cpu" else "")})
    assert resource.key in refused.value.message_dict
    with pytest.raises(ValidationError):
        namespace_quota_set(actor=world.owner, namespace=world.namespace, amounts=over)
    with pytest.raises(ValidationError):
        team_quota_set(actor=world.admin, team=world.team, amounts=over, max_namespaces=3)
    with pytest.raises(ValidationError):
        quota_request_create(actor=world.developer, namespace=world.namespace, increments=over, reason="x")
    quota = team_quota_ensure(team=world.team)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamQuota.objects.filter(pk=quota.pk).update(**{resource.field: resource.maximum + 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamQuota.objects.filter(pk=quota.pk).update(**{resource.field: -1})


def test_storage_classes_are_bounded_in_number_name_and_size():
    many = {f"class-{n}": "1Gi" for n in range(limits.MAX_STORAGE_CLASSES + 1)}
    for raw in (
        many,
        {"a" * (limits.MAX_STORAGE_CLASS_NAME + 1): "1Gi"},
        {"Fast_SSD": "1Gi"},
        {"fast": "2Pi"},
    ):
        with pytest.raises(ValidationError):
            parse_amounts({"storage_classes": raw})
    assert parse_amounts({"storage_classes": {"fast.ssd-1": "1Pi"}})["storage_classes"] == {
        "fast.ssd-1": 2**50
    }


def test_approving_beyond_the_largest_team_quota_is_refused(world):
    quota = team_quota_ensure(team=world.team)
    TeamQuota.objects.filter(pk=quota.pk).update(cpu_millicores=limits.MAX_CPU_MILLICORES)
    namespace_quota_set(
        actor=world.owner,
        namespace=world.namespace,
        amounts={**parse_amounts({}), "cpu": limits.MAX_CPU_MILLICORES},
    )
    request = quota_request_create(
        actor=world.developer, namespace=world.namespace, increments=parse_amounts({"cpu": "1"}), reason="x"
    )
    with pytest.raises(ValidationError, match="largest a team may have"):
        quota_request_approve(actor=world.admin, quota_request=request)


def test_reasons_and_notes_are_bounded(world):
    team_quota_ensure(team=world.team)
    long = "x" * (limits.MAX_REASON_LENGTH + 1)
    body = {"namespace": "acme-dev", "reason": long, "increments": {"cpu": "1"}}
    assert (
        api(world.developer).post("/api/v1/teams/acme/quota-requests/", body, format="json").status_code
        == 400
    )
    with pytest.raises(ValidationError):
        quota_request_create(
            actor=world.developer,
            namespace=world.namespace,
            increments=parse_amounts({"cpu": "1"}),
            reason=long,
        )
    request = quota_request_create(
        actor=world.developer, namespace=world.namespace, increments=parse_amounts({"cpu": "1"}), reason="x"
    )
    url = f"/api/v1/teams/acme/quota-requests/{request.pk}/deny/"
    assert api(world.manager).post(url, {"note": long}, format="json").status_code == 400
    with pytest.raises(IntegrityError), transaction.atomic():
        QuotaRequest.objects.filter(pk=request.pk).update(reason=long)


def test_ledger_amounts_and_balances_are_bounded(world):
    account_for_team(team=world.team)
    ledger_record(
        actor=world.finance, team=world.team, kind="topup", amount=limits.MAX_LEDGER_AMOUNT, reason="x"
    )
    BillingAccount.objects.filter(team=world.team).update(balance=limits.MAX_BALANCE - 1)
    with pytest.raises(ValidationError, match="balance would pass"):
        ledger_record(actor=world.finance, team=world.team, kind="topup", amount=Decimal(2), reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            team=world.team, kind="topup", amount=limits.MAX_LEDGER_AMOUNT + 1, currency="USD", reason="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingAccount.objects.filter(team=world.team).update(balance=limits.MAX_BALANCE + 1)


# --- The largest stored values, shown everywhere ---------------------------------------------


def _store_the_largest_values(world, balance: Decimal) -> None:
    """Written straight into the database, past every form and service, at the constraints' edge."""
    largest = {r.field: r.maximum for r in RESOURCES}
    big_classes = {f"class-{n}": limits.MAX_BYTES for n in range(limits.MAX_STORAGE_CLASSES)}
    quota = team_quota_ensure(team=world.team)
    TeamQuota.objects.filter(pk=quota.pk).update(
        **largest, storage_classes=big_classes, max_namespaces=limits.MAX_NAMESPACES_PER_TEAM
    )
    NamespaceQuota.objects.update_or_create(
        namespace=world.namespace, defaults={**largest, "storage_classes": big_classes}
    )
    QuotaRequest.objects.create(
        team=world.team,
        namespace=world.namespace,
        requested_by=world.developer,
        reason="r" * limits.MAX_REASON_LENGTH,
        decision_note="n" * limits.MAX_REASON_LENGTH,
        storage_classes=big_classes,
        **largest,
    )
    account_for_team(team=world.team)
    BillingAccount.objects.filter(team=world.team).update(balance=balance)
    LedgerEntry.objects.create(
        team=world.team, kind="topup", amount=limits.MAX_LEDGER_AMOUNT, currency="USD", reason="x" * 200
    )
    token, _ = api_token_create(user=world.owner, name="t" * 100)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=token.created_at + timedelta(days=limits.MAX_API_TOKEN_DAYS)
    )


@pytest.mark.parametrize("balance", [limits.MAX_BALANCE, -limits.MAX_BALANCE], ids=["rich", "in-debt"])
def test_the_largest_stored_values_never_break_a_page_or_an_api_answer(client, world, balance):
    _store_the_largest_values(world, balance)
    pages = {
        world.owner: [
            reverse("dashboard"),
            reverse("team_detail", args=["acme"]),
            reverse("metering:team_quota", args=["acme"]),
            reverse("metering:namespace_usage", args=["acme-dev"]),
            reverse("billing:team", args=["acme"]),
            reverse("token_list"),
        ],
        world.developer: [reverse("dashboard"), reverse("metering:team_quota", args=["acme"])],
        world.admin: [
            reverse("metering:team_quota", args=["acme"]),
            reverse("metering:staff_capacity"),
            reverse("dashboard"),
        ],
        world.finance: [reverse("billing:finance_index")],
    }
    apis = [
        "/api/v1/teams/acme/quota/",
        "/api/v1/teams/acme/quota-requests/",
        "/api/v1/billing/teams/acme/balance/",
        "/api/v1/billing/teams/acme/ledger/",
        "/api/v1/tokens/",
    ]
    failures = []
    for user, urls in pages.items():
        client.force_login(user)
        failures += [(user.username, url, s) for url in urls if (s := client.get(url).status_code) != 200]
    failures += [("owner", url, s) for url in apis if (s := api(world.owner).get(url).status_code) != 200]
    assert failures == []


@pytest.mark.parametrize("pk", [10**30, 2**63, -(2**63) - 1])
def test_an_id_past_any_database_integer_is_a_field_error_in_the_api(world, pk):
    """SQLite refused such a user id with an OverflowError: a 500 on adding a namespace member."""
    owner = api(world.owner)
    response = owner.post(
        "/api/v1/namespaces/acme-dev/members/", {"user": pk, "role": "viewer"}, format="json"
    )
    assert response.status_code == 400 and "user" in response.json()
    response = owner.post("/api/v1/teams/acme/transfer-ownership/", {"member": pk}, format="json")
    assert response.status_code == 400 and "member" in response.json()
