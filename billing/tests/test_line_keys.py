"""A line's statement and team are one key: (statement, team) references the statement's
(id, team), so the database refuses a line on another team's statement, on PostgreSQL and
SQLite alike (``core.constraints.ForeignKeyConstraint``), as it refuses a missing one."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from billing.models import Charge, Statement
from billing.services.days import day_bill
from billing.services.statements import statement_for_month
from billing.tests.conftest import fill_day, utc
from core.constraints import ForeignKeyConstraint
from tenants.models import Team


def _checked() -> None:
    """What commit checks (the keys are deferred to it), here, in the test's transaction."""
    connection.check_constraints(table_names=[Charge._meta.db_table])


@pytest.fixture
def billed(acme):
    with time_machine.travel(utc(2024, 3, 5, 12), tick=False):
        fill_day(acme.namespace, utc(2024, 3, 1))
        day_bill(team=acme.team, day=date(2024, 3, 1))
    return acme


def test_a_line_on_its_own_team_statement_commits(billed):
    line = Charge.objects.filter(team=billed.team).first()
    assert line.statement.team_id == line.team_id
    _checked()  # no violation


def test_a_line_on_another_team_statement_is_refused(billed):
    line = Charge.objects.filter(team=billed.team).first()
    theirs = statement_for_month(team=billed.other_team, month=date(2024, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(statement=theirs)
        _checked()
    with pytest.raises(IntegrityError), transaction.atomic():  # the team moved, not the statement
        Charge.objects.filter(pk=line.pk).update(team=billed.other_team)
        _checked()
    _checked()  # both rolled back


def test_a_line_on_a_missing_statement_or_team_is_refused(billed):
    """The key still does what the two single-column keys did."""
    line = Charge.objects.filter(team=billed.team).first()
    missing = (Statement.objects.order_by("-pk").first().pk or 0) + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(statement_id=missing)
        _checked()
    missing_team = (Team.objects.order_by("-pk").first().pk or 0) + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(team_id=missing_team)
        _checked()


def test_a_statement_with_lines_cannot_be_deleted_in_the_database(billed):
    statement = Charge.objects.filter(team=billed.team).first().statement
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:  # past the ORM's PROTECT, straight to the database
            cursor.execute(f"DELETE FROM {Statement._meta.db_table} WHERE id = %s", [statement.pk])  # noqa: S608
        _checked()


def test_full_clean_checks_the_key_as_the_database_does(billed):
    line = Charge.objects.filter(team=billed.team).first()
    line.full_clean()
    line.statement = statement_for_month(team=billed.other_team, month=date(2024, 3, 1))
    with pytest.raises(ValidationError, match="charge_statement_of_its_team"):
        line.full_clean()
    line.full_clean(exclude=["statement"])  # a field left out of validation skips the key


def test_the_constraint_describes_itself_for_migrations():
    constraint = ForeignKeyConstraint(
        fields=["statement", "team"], to="billing.Statement", to_fields=["id", "team"], name="k"
    )
    path, args, kwargs = constraint.deconstruct()
    assert path == "core.constraints.ForeignKeyConstraint" and not args
    assert ForeignKeyConstraint(**kwargs) == constraint
    assert ForeignKeyConstraint(**{**kwargs, "to_fields": ["team", "id"]}) != constraint
    with pytest.raises(ValueError):
        ForeignKeyConstraint(fields=["statement"], to="billing.Statement", to_fields=["id", "team"], name="k")
