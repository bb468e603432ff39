"""Fuzz every API operation against its OpenAPI schema (schemathesis), in-process through WSGI.

The owner of "acme" calls every operation with a Bearer token (the finance persona calls the
finance endpoints); path parameters are generated or, as often, real slugs, names and ids of
both teams. Each example runs in a savepoint that is rolled back, so every one starts from the
same world. Checks: no 5xx, and responses (body, content type, headers) as documented.
Undocumented status codes (400/403/404 are not in the schema) are not checked.

The normal suite runs a few derandomized examples per operation. A deeper, different run:
``FUZZ_MAX_EXAMPLES=100 FUZZ_SEED=7 FUZZ_PERSONA=admin pytest tests/test_api_fuzz.py``.
Kubeconfig operations reach the Kubernetes emulator (the ``cluster`` fixture).

The stored-value pass turns it around: hypothesis draws values anywhere inside the database's
bounds (``core.limits``: quota amounts, storage classes, reasons, balances, ledger amounts),
writes them straight into the rows, past every form and service, and then every read
operation of the API and the pages that show those values must answer without a 5xx, as
documented (half as many examples as the schema pass: each one reads everything).
"""

import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import checks

from billing.models import BillingAccount, LedgerEntry
from billing.services.accounts import account_for_team
from core import limits
from metering.amounts import RESOURCES, parse_amounts
from metering.models import NamespaceQuota, QuotaRequest, TeamQuota
from metering.services.quotas import namespace_quota_set, quota_request_create, team_quota_ensure
from tenants.services.tokens import api_token_create
from tests.factories import InvitationFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
# Unset: derandomized, the same examples every run. A number: a different, repeatable run.
SEED = os.environ.get("FUZZ_SEED")
PERSONA = os.environ.get("FUZZ_PERSONA", "owner")
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
]

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()

REAL: dict[str, list] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    choices = {}
    for key, value in path_parameters.items():
        options = [value, *REAL.get(key, [])]
        choices[key] = st.sampled_from(options)
    return st.fixed_dictionaries(choices)


@pytest.fixture
def _keep_test_connection():
    """The WSGI app closes the database connection after each request; the test client stops
    that (the test's transaction lives on it), and so must a WSGI client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_user(world, cluster, _keep_test_connection):
    team_quota_ensure(team=world.team)
    namespace_quota_set(
        actor=world.owner, namespace=world.namespace, amounts=parse_amounts({"cpu": "1", "memory": "2Gi"})
    )
    pending = quota_request_create(
        actor=world.developer,
        namespace=world.namespace,
        increments=parse_amounts({"cpu": "1"}),
        reason="more",
    )
    invitation = InvitationFactory(team=world.team)
    raw = api_token_create(user=getattr(world, PERSONA), name="fuzz")[1]
    finance_raw = api_token_create(user=world.finance, name="fuzz")[1]
    token = api_token_create(user=world.owner, name="revocable")[0]
    members = [m.pk for m in world.team.memberships.all()]
    REAL.clear()
    REAL.update(
        slug=["acme", "globex"],
        name=["acme-dev", "globex-prod"],
        id=[*members, token.pk, invitation.pk],
        pk=[*members, token.pk, invitation.pk],
        request_id=[pending.pk],
        decision=["approve", "deny"],
    )
    return {"default": raw, "finance": finance_raw}


@schema.parametrize()
@(seed(int(SEED)) if SEED else lambda test: test)
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=SEED is None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_schema(case, fuzz_user):
    token = fuzz_user["finance" if "/finance/" in case.operation.path else "default"]
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        transaction.set_rollback(True)


# --- The stored-value angle ------------------------------------------------------------------

READS = [op for op in (result.ok() for result in schema.get_all_operations()) if op.method.upper() == "GET"]
PAGES = [
    reverse("dashboard"),
    reverse("metering:team_quota", args=["acme"]),
    reverse("metering:namespace_usage", args=["acme-dev"]),
    reverse("billing:team", args=["acme"]),
    reverse("token_list"),
]


def _bounded(maximum: int):
    """Anywhere in [0, maximum], with the edges drawn often."""
    return st.one_of(st.just(0), st.just(maximum), st.integers(min_value=0, max_value=maximum))


AMOUNTS = st.fixed_dictionaries({r.field: _bounded(r.maximum) for r in RESOURCES})
STORAGE_CLASSES = st.dictionaries(
    st.from_regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,2}", fullmatch=True),
    _bounded(limits.MAX_BYTES),
    max_size=limits.MAX_STORAGE_CLASSES,
)
MONEY = st.decimals(
    min_value=-limits.MAX_BALANCE,
    max_value=limits.MAX_BALANCE,
    places=3,
    allow_nan=False,
    allow_infinity=False,
)
TEXT = st.integers(min_value=1, max_value=limits.MAX_REASON_LENGTH).map(lambda n: "é" * n)


def _store(world, *, team_amounts, allocation, request, classes, balance, topup, reason) -> None:
    quota = team_quota_ensure(team=world.team)
    TeamQuota.objects.filter(pk=quota.pk).update(**team_amounts, storage_classes=classes)
    NamespaceQuota.objects.filter(namespace=world.namespace).update(**allocation, storage_classes=classes)
    QuotaRequest.objects.create(
        team=world.team, namespace=world.namespace, requested_by=world.developer, reason=reason, **request
    )
    account_for_team(team=world.team)
    BillingAccount.objects.filter(team=world.team).update(balance=balance)
    LedgerEntry.objects.create(
        team=world.team, kind="topup", amount=topup, currency="USD", reason=reason[:200]
    )


@given(
    team_amounts=AMOUNTS,
    allocation=AMOUNTS,
    request=AMOUNTS,
    classes=STORAGE_CLASSES,
    balance=MONEY,
    topup=st.decimals(min_value=Decimal("0.001"), max_value=limits.MAX_LEDGER_AMOUNT, places=3),
    reason=TEXT,
)
@(seed(int(SEED)) if SEED else lambda test: test)
@settings(
    max_examples=max(1, MAX_EXAMPLES // 2),
    derandomize=SEED is None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_stored_values_within_the_bounds_never_break_a_read(fuzz_user, world, **values):
    owner = Client()
    owner.force_login(world.owner)
    # The test client reconnects close_old_connections after each page it loads; the next
    # example's WSGI calls would then close the test's connection (PostgreSQL; SQLite's
    # in-memory database is never closed).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with transaction.atomic():
        _store(world, **values)
        for operation in READS:
            parameters = {p.name: REAL.get(p.name, ["acme"])[0] for p in operation.path_parameters}
            case = operation.Case(path_parameters=parameters)
            token = fuzz_user["finance" if "/finance/" in operation.path else "default"]
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        for page in PAGES:
            assert owner.get(page).status_code == 200, page
        transaction.set_rollback(True)
