"""Fast inserts of many new rows: what the nightly job spends most of its time on.

``bulk_create`` prepares every value of every row through the ORM and, on PostgreSQL, sends
them as array literals quoted in Python; for a hundred thousand charge lines that costs more
than rating them. ``rows_copy`` sends plain column values with one ``COPY`` instead, after
drawing the ids from the table's sequence, so callers learn the primary keys as with
``bulk_create``; ``rows_insert`` does the same for model instances. Other databases use
``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def rows_copy(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence]) -> list[int]:
    """Insert ``rows`` (values in the order of ``columns``, field attnames, the primary key not
    among them) into ``model``'s table and return their new primary keys, in order.

    Only for plain columns (numbers, text, booleans, dates and times, foreign key ids): values
    are sent as they are, without ``get_db_prep_save`` or field defaults. Constraints and
    triggers apply as for any insert; call inside the transaction the rows belong to.
    """
    if not rows:
        return []
    meta = model._meta
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objs)
        return [obj.pk for obj in objs]
    by_attname = {f.attname: f.column for f in meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(by_attname[c]) for c in [meta.pk.attname, *columns])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        # The raw COPY bypasses Django's cursor, so its errors are translated here: a refused
        # row must be django.db.IntegrityError, as bulk_create's would be.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN"
            ) as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids


def rows_insert(objs: Sequence[Model]) -> None:
    """Insert unsaved instances of one model and set their primary keys (see ``rows_copy``)."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [[f.pre_save(obj, True) for f in fields] for obj in objs]
    for obj, pk in zip(objs, rows_copy(model, [f.attname for f in fields], rows), strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
