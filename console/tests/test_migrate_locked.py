"""migrate_locked: migrate, under a PostgreSQL advisory lock where there is one.

Two runs racing on PostgreSQL are exercised by `make scale-check` (step 1)."""

from io import StringIO

import pytest
from django.core.management import call_command

from console.management.commands import migrate_locked


@pytest.mark.django_db
def test_migrate_locked_applies_nothing_on_a_migrated_database():
    out = StringIO()
    call_command("migrate_locked", stdout=out)
    assert "No migrations to apply" in out.getvalue()


@pytest.mark.django_db
def test_on_postgresql_the_run_holds_the_advisory_lock_while_migrating(monkeypatch):
    statements: list[str] = []

    class Cursor:
        def execute(self, sql, params):
            statements.append(sql % tuple(params))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    class Connection:
        vendor = "postgresql"

        def cursor(self):
            return Cursor()

    monkeypatch.setattr(migrate_locked, "connection", Connection())
    monkeypatch.setattr(migrate_locked, "call_command", lambda *a, **kw: statements.append("migrate"))
    call_command("migrate_locked", stdout=StringIO())
    key = migrate_locked.LOCK_KEY
    assert statements == [f"SELECT pg_advisory_lock({key})", "migrate", f"SELECT pg_advisory_unlock({key})"]
