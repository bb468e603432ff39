"""``metering.sqltime``: a moment as seconds since 1970 in SQL is the moment's own, on SQLite
and PostgreSQL alike, for the forms the two store (SQLite: UTC text, with and without
microseconds)."""

import sqlite3
from datetime import UTC, datetime

import pytest
from django.db import connection

from metering.sqltime import epoch_sql

MOMENTS = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 4, 12, 37, 20, tzinfo=UTC),
    datetime(2026, 3, 4, 12, 37, 20, 999_999, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
    datetime(2099, 12, 31, 23, 59, 58, 250_000, tzinfo=UTC),
]


@pytest.mark.django_db
def test_epoch_sql_gives_whole_seconds_since_1970():
    """To the nearest second (the samples' windows are whole minutes)."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for moment in MOMENTS:
            cursor.execute(f"SELECT {epoch_sql('%s')}", [adapt(moment)])
            assert cursor.fetchone()[0] == round(moment.timestamp()), moment


def test_sqlites_unixepoch_and_strftime_agree():
    """The SQLite expression in use (unixepoch() from 3.38) against the older strftime()."""
    database = sqlite3.connect(":memory:")
    for moment in MOMENTS:
        for text in (moment.strftime("%Y-%m-%d %H:%M:%S"), moment.strftime("%Y-%m-%d %H:%M:%S.%f")):
            (old,) = database.execute("SELECT CAST(strftime('%s', ?) AS INTEGER)", [text]).fetchone()
            assert old == round(datetime.fromisoformat(f"{text}+00:00").timestamp()), text
            if sqlite3.sqlite_version_info >= (3, 38):
                assert database.execute("SELECT unixepoch(?)", [text]).fetchone() == (old,), text
