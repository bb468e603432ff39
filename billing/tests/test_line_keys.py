"""A line's statement and team are one key: (statement, team) references the statement's
(id, team), so the database refuses a line on another team's statement, on PostgreSQL and
SQLite alike (``core.constraints.ForeignKeyConstraint``), as it refuses a missing one.

A line's price version and quantity rule are one key too: (price_book, rule) references a
``RatingBasis``, which billing records before it rates with the pair; the database refuses a
line naming a pair with no basis, a missing version or rule, and deleting what lines name."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from billing.models import Charge, PriceBook, QuantityRule, RatingBasis, Statement
from billing.services.days import day_bill
from billing.services.statements import statement_for_month
from billing.tests.conftest import fill_day, make_book, utc
from core.constraints import ForeignKeyConstraint
from tenants.models import Team


def _checked() -> None:
    """What commit checks (the keys are deferred to it), here, in the test's transaction."""
    connection.check_constraints(table_names=[Charge._meta.db_table, RatingBasis._meta.db_table])


def _raw_delete(model, pk) -> None:
    """Past the ORM's PROTECT, straight to the database."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608


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


def test_billing_records_the_basis_each_line_names(billed):
    lines = Charge.objects.filter(team=billed.team)
    assert lines.exists()
    pairs = set(lines.values_list("price_book_id", "rule_id"))
    assert pairs <= set(RatingBasis.objects.values_list("price_book_id", "rule_id"))
    _checked()


def test_a_line_naming_a_version_and_rule_with_no_basis_is_refused(billed):
    line = Charge.objects.filter(team=billed.team).first()
    unrecorded = make_book(version=2, effective_from=utc(2030, 1, 1))  # billing never rated with it
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(price_book=unrecorded)
        _checked()
    other_rule = QuantityRule.objects.create(digest="0" * 64, text="a rule no line was rated with")
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(rule=other_rule)
        _checked()
    _checked()  # both rolled back


def test_a_line_naming_a_missing_version_or_rule_is_refused(billed):
    """The key still does what the two single-column keys did."""
    line = Charge.objects.filter(team=billed.team).first()
    missing_book = (PriceBook.objects.order_by("-pk").first().pk or 0) + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(price_book_id=missing_book)
        _checked()
    missing_rule = (QuantityRule.objects.order_by("-pk").first().pk or 0) + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=line.pk).update(rule_id=missing_rule)
        _checked()


def test_a_basis_lines_name_and_what_a_basis_names_cannot_be_deleted_in_the_database(billed):
    line = Charge.objects.filter(team=billed.team).first()
    basis = RatingBasis.objects.get(price_book_id=line.price_book_id, rule_id=line.rule_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_delete(RatingBasis, basis.pk)
        _checked()
    # A version and a rule named by a basis alone (no runtime, storage price or line names them).
    book = make_book(version=2, effective_from=utc(2030, 1, 1), runtime_multipliers={})
    rule = QuantityRule.objects.create(digest="1" * 64, text="a rule recorded with the version")
    RatingBasis.objects.create(price_book=book, rule=rule)
    for model, pk in ((PriceBook, book.pk), (QuantityRule, rule.pk)):
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw_delete(model, pk)
            _checked()
    _checked()


def test_full_clean_checks_the_rating_key_as_the_database_does(billed):
    line = Charge.objects.filter(team=billed.team).first()
    line.full_clean()
    line.price_book = make_book(version=2, effective_from=utc(2030, 1, 1))
    with pytest.raises(ValidationError, match="charge_rated_on_its_basis"):
        line.full_clean()
