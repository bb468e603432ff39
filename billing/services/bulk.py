"""Fast inserts of many new rows: what the nightly job spends most of its time on.

``bulk_create`` prepares every value of every row through the ORM and, on PostgreSQL, sends
them as array literals quoted in Python; for tens of thousands of charge lines that costs
more than rating them. ``rows_insert`` sends plain column values with ``COPY`` instead, after
drawing the ids from the table's sequence, so callers get primary keys as with
``bulk_create``. Other databases use ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def rows_insert(objs: Sequence[Model]) -> None:
    """Insert unsaved instances of one model and set their primary keys.

    Only for models of plain columns (numbers, text, booleans, dates and times, foreign
    keys): values are sent as they are, without ``get_db_prep_save``. Constraints and
    triggers apply as for any insert; call inside the transaction the rows belong to.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    fields = meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        # The raw COPY bypasses Django's cursor, so its errors are translated here: a refused
        # row must be django.db.IntegrityError, as bulk_create's would be.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
            ) as copy,
        ):
            for obj in objs:
                copy.write_row([f.pre_save(obj, True) for f in fields])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
