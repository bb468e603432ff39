"""Moments in written-out SQL, for the two databases the console runs on.

A datetime column as whole seconds since 1970 (UTC), and the quarter hour it falls in, as
the column's own type: SQLite stores UTC text (``YYYY-MM-DD HH:MM:SS``, the form Django writes
and reads), PostgreSQL ``timestamptz``. ``%%`` reaches the database as ``%`` (the backends
unescape it in a statement with parameters)."""

import sqlite3
from datetime import datetime, timedelta

from django.db import connection

EPOCH_SQL = {
    # unixepoch() (SQLite 3.38 and later) gives what the strftime() of older versions gives, in
    # about a third of its time: the usage page reads 1,400 moments a request.
    "sqlite": "unixepoch({})"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%%s', {}) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM {}) AS BIGINT)",
}
QUARTER = 900  # seconds
_FROM_EPOCH_SQL = {
    "sqlite": "datetime({}, 'unixepoch')",
    "postgresql": "to_timestamp({})",
}


def epoch_sql(column: str) -> str:
    return EPOCH_SQL[connection.vendor].format(column)


def quarter_index_sql(column: str) -> str:
    """Which quarter hour since 1970 ``column`` falls in (what to group by)."""
    return f"({epoch_sql(column)} / {QUARTER})"


def quarter_sql(column: str, *, offset: int = 0) -> str:
    """The start of the quarter hour ``column`` falls in, plus ``offset`` seconds: made of
    ``quarter_index_sql``, so it may be selected where that is grouped by."""
    seconds = f"{quarter_index_sql(column)} * {QUARTER} + {int(offset)}"
    return _FROM_EPOCH_SQL[connection.vendor].format(seconds)


def quarter_ceiling(moment: datetime) -> datetime:
    """The end of the quarter hour ``moment`` falls in (``moment`` itself on a quarter hour)."""
    past = int(moment.timestamp()) % QUARTER + moment.microsecond / 1e6
    return moment + timedelta(seconds=QUARTER - past) if past else moment


def quarter_floor(moment: datetime) -> datetime:
    """The start of the quarter hour ``moment`` falls in."""
    past = int(moment.timestamp()) % QUARTER
    return moment.replace(microsecond=0) - timedelta(seconds=past)
