"""Dashboard widgets: namespaces near their limits, quota requests and balance notices,
each shown to the personas it concerns, at a query cost that does not grow with the data."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import BillingNotice
from billing.selectors import latest_notices_for_user
from clusters.connections import default_cluster
from metering.models import ClusterState, Metric, NamespaceQuota, QuotaRequest, UsageSample
from metering.selectors import DASHBOARD_REQUEST_FIELDS, quota_requests_for_dashboard
from tests.factories import NamespaceFactory, NamespaceMembershipFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

WINDOW = datetime(2026, 1, 1, tzinfo=UTC)


def _busy(namespace, *, cores=Decimal("0.95"), allocated=1000):
    NamespaceQuota.objects.update_or_create(namespace=namespace, defaults={"cpu_millicores": allocated})
    UsageSample.objects.create(
        namespace=namespace,
        metric=Metric.CPU_REQUEST,
        window_start=WINDOW,
        window_end=WINDOW + timedelta(minutes=1),
        quantity=cores,
        source="t",
    )


def _request(world, namespace, *, needs_staff=False, by=None):
    return QuotaRequest.objects.create(
        team=world.team,
        namespace=namespace,
        reason="load test next week",
        cpu_millicores=500,
        requested_by=by or world.developer,
        needs_staff=needs_staff,
    )


def _notice(team, band_to="low"):
    return BillingNotice.objects.create(
        team=team, band_from="normal", band_to=band_to, balance=Decimal("4.5"), currency="EUR"
    )


@pytest.fixture
def measured(world):
    ClusterState.objects.create(cluster=default_cluster(), last_window_start=WINDOW)
    _busy(world.namespace)
    return world


def _dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_namespaces_near_their_limits_link_to_usage(client, measured):
    body = _dashboard(client, measured.developer)
    assert 'id="near-limits"' in body
    assert 'href="/namespaces/acme-dev/usage/"' in body
    assert "95%" in body


def test_members_outside_the_namespace_do_not_see_its_warning(client, measured):
    body = _dashboard(client, measured.member)
    assert 'href="/namespaces/acme-dev/usage/"' not in body
    assert "comfortably within its quota" in body


def test_managers_see_requests_to_decide_and_requesters_see_theirs(client, world):
    request = _request(world, world.namespace)
    manager = _dashboard(client, world.manager)
    assert "Waiting for your decision" in manager
    assert f'href="/teams/acme/quota/#request-{request.pk}"' in manager
    developer = _dashboard(client, world.developer)
    assert "Waiting for your decision" not in developer
    assert "Yours, last two weeks" in developer
    assert "badge-request-pending" in developer


def test_requests_beyond_the_team_quota_go_to_staff(client, world):
    request = _request(world, world.namespace, needs_staff=True)
    assert "Waiting for your decision" not in _dashboard(client, world.manager)
    assert f'href="/staff/capacity/#request-{request.pk}"' in _dashboard(client, world.admin)


def test_dashboard_requests_rows_order_window_and_who_decides(world):
    first = _request(world, world.namespace)
    beyond = _request(world, world.namespace, needs_staff=True)
    old = _request(world, world.namespace, by=world.manager)
    QuotaRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))
    gone = _request(world, world.namespace)
    world.developer.delete()
    globex = QuotaRequest.objects.create(
        team=world.other_team,
        namespace=world.other_namespace,
        reason="r",
        requested_by=world.outsider,
        needs_staff=True,
    )
    QuotaRequest.objects.filter(pk=first.pk).update(status="approved")

    manager = quota_requests_for_dashboard(user=world.manager)
    assert [row["pk"] for row in manager["to_decide"]] == [old.pk, gone.pk]  # oldest first
    row = manager["to_decide"][1]
    assert row["requested_by__email"] is None
    assert (row["namespace__name"], row["team__name"], row["team__slug"]) == (
        world.namespace.name,
        world.team.name,
        world.team.slug,
    )
    assert row["needs_staff"] is False
    assert row["created_at"].tzinfo is not None
    staff = quota_requests_for_dashboard(user=world.admin)
    assert [row["pk"] for row in staff["to_decide"]] == [beyond.pk, globex.pk]  # staff of no team
    assert manager["mine"] == []  # their one request is 15 days old
    outsider = quota_requests_for_dashboard(user=world.outsider)
    assert outsider["to_decide"] == []  # Globex's one needs staff
    assert [(row["pk"], row["status_label"]) for row in outsider["mine"]] == [(globex.pk, "Pending")]


def test_dashboard_requests_rows_are_what_the_orm_reads_of_them_values_and_types(world):
    """The rows are read by a cursor and converted as the ORM converts the fields' values (a
    boolean, an aware datetime): each is the ``values()`` row of its request, type for type."""
    _request(world, world.namespace)
    _request(world, world.namespace, needs_staff=True, by=world.manager)
    QuotaRequest.objects.create(
        team=world.team, namespace=world.namespace, reason="r", requested_by=world.admin, needs_staff=True
    )
    world.developer.delete()
    rows = [
        *quota_requests_for_dashboard(user=world.manager)["to_decide"],
        *quota_requests_for_dashboard(user=world.manager)["mine"],
        *quota_requests_for_dashboard(user=world.admin)["to_decide"],
        *quota_requests_for_dashboard(user=world.admin)["mine"],
    ]
    assert len(rows) == 5 and any(row["requested_by__email"] is None for row in rows)
    for row in rows:
        row.pop("status_label", None)
        orm = QuotaRequest.objects.filter(pk=row["pk"]).values(*DASHBOARD_REQUEST_FIELDS).get()
        assert list(row) == list(orm)
        assert row == orm
        assert [type(value) for value in row.values()] == [type(value) for value in orm.values()]


@pytest.mark.parametrize("persona", ["owner", "manager", "billing"])
def test_billing_roles_see_their_teams_latest_balance_notice(client, world, persona):
    _notice(world.team, "low")
    _notice(world.team, "critical")
    _notice(world.other_team, "debt")
    body = _dashboard(client, getattr(world, persona))
    assert 'id="billing-notices"' in body
    assert "badge-band-critical" in body
    assert "badge-band-low" not in body  # only the latest per team
    assert "Globex" not in body
    assert 'href="/billing/teams/acme/"' in body


@pytest.mark.parametrize("persona", ["member", "developer", "viewer", "outsider"])
def test_members_without_billing_role_see_no_balance_notices_of_acme(client, world, persona):
    _notice(world.team)
    body = _dashboard(client, getattr(world, persona))
    assert 'href="/billing/teams/acme/"' not in body


def test_old_notices_drop_off_the_dashboard(client, world):
    notice = _notice(world.team)
    BillingNotice.objects.filter(pk=notice.pk).update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert 'id="billing-notices"' not in _dashboard(client, world.owner)


def test_latest_notices_are_each_teams_newest_in_the_window_with_team_name_and_slug(world):
    TeamMembershipFactory(team=world.other_team, user=world.owner, role="billing")
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    made = {}
    for team, band, age in [
        (world.team, "low", timedelta(days=3)),
        (world.team, "critical", timedelta(days=2)),  # acme's newest
        (world.other_team, "debt", timedelta(days=14) - timedelta(seconds=1)),  # just inside
    ]:
        notice = _notice(team, band)
        BillingNotice.objects.filter(pk=notice.pk).update(created_at=now - age)
        made[band] = notice.pk
    notices = latest_notices_for_user(user=world.owner, days=14, now=now)
    assert [(n.pk, n.team_name, n.team_slug) for n in notices] == [
        (made["critical"], world.team.name, world.team.slug),
        (made["debt"], world.other_team.name, world.other_team.slug),
    ]
    assert notices[0].created_at == now - timedelta(days=2)
    assert notices[0].balance == Decimal("4.5")
    later = now + timedelta(seconds=2)  # Globex's notice is now 14 days and a second old
    assert [n.pk for n in latest_notices_for_user(user=world.owner, days=14, now=later)] == [made["critical"]]
    assert latest_notices_for_user(user=world.member, days=14, now=now) == []  # no billing role
    # Read by a cursor: every field is what the ORM reads of the notice, type for type.
    for notice in notices:
        orm = BillingNotice.objects.get(pk=notice.pk)
        for field in BillingNotice._meta.concrete_fields:
            ours, its = getattr(notice, field.attname), getattr(orm, field.attname)
            assert (ours, type(ours)) == (its, type(its)), field.name
            assert str(ours) == str(its), field.name  # a decimal's places too
        assert not notice._state.adding and notice._state.db == orm._state.db


def test_dashboard_queries_do_not_grow_with_warnings_requests_and_notices(
    client, measured, django_assert_num_queries
):
    world = measured
    _request(world, world.namespace, by=world.owner)
    _notice(world.team)
    client.force_login(world.owner)
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    for n in range(15):
        namespace = NamespaceFactory(team=world.team, name=f"busy-{n}")
        NamespaceMembershipFactory(namespace=namespace, user=world.owner, role="admin")
        _busy(namespace)
        _request(world, namespace, by=world.owner)
        _notice(world.team)
    with django_assert_num_queries(len(small)):
        assert client.get("/").status_code == 200
