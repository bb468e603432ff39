"""Querysets compiled once per process: a cache of query construction, never of rows.

Django builds and compiles a queryset's SQL on every evaluation; for a lookup that loads a row
with half a dozen related rows (``select_related``), that costs about 0.5 ms of Python each
time, three times what the database takes to answer it. ``CompiledQuery`` compiles such a
queryset once per process and database connection, with stand-in values in place of the ones
that change (a name, an id), keeps its SQL and what turns its rows into model instances (the
related rows, the annotations and the columns' converters, as ``ModelIterable`` and
``ValuesListIterable`` do), and then runs the SQL with each call's values. What it returns is
what the queryset would: the rows are read anew every time.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the compiled parameters, stand-ins included
    positions: tuple[int, ...]  # where each value goes in ``params``
    compiler: SQLCompiler
    converters: dict
    # For model querysets: the model's columns in a row and their attribute names, the related
    # rows' populators and the annotations' columns.
    fields: tuple[int, int, list[str]] | None
    populators: list
    annotations: dict[str, int]


class CompiledQuery:
    """``build(*values)``: a model queryset (``select_related`` and annotations welcome, no
    prefetches), read with ``all()``, or a ``values_list()`` one (neither flat nor named),
    read with ``rows()``; each of ``values`` compared as given (an exact lookup), so that it
    appears once among the compiled parameters.

    ``stand_ins``: one value per argument of ``build``, of the type the column takes, that no
    other parameter of the query equals; used only to compile, never sent to the database.
    """

    def __init__(self, build: Callable[..., QuerySet], *stand_ins: Any):
        self._build = build
        self._stand_ins = stand_ins
        self._compiled: dict[int, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(*self._stand_ins)
        iterable = queryset._iterable_class
        if queryset._prefetch_related_lookups or iterable not in (ModelIterable, ValuesListIterable):
            raise TypeError("CompiledQuery takes model or values_list() querysets without prefetches")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = []
        for stand_in in self._stand_ins:
            found = [
                n for n, param in enumerate(params) if type(param) is type(stand_in) and param == stand_in
            ]
            if len(found) != 1:
                raise ValueError(f"{stand_in!r} is not exactly one parameter of the compiled query")
            positions.append(found[0])
        selected = [s[0] for s in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(selected):
            raise TypeError("CompiledQuery does not read composite primary keys")
        fields, populators = None, []
        if iterable is ModelIterable:
            klass_info, select = compiler.klass_info, compiler.select
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            fields = (start, end, [f[0].target.attname for f in select[start:end]])
            populators = get_related_populators(klass_info, select, using)
        return _Compiled(
            sql=sql,
            params=tuple(params),
            positions=tuple(positions),
            compiler=compiler,
            converters=compiler.get_converters(selected),
            fields=fields,
            populators=populators,
            annotations=dict(compiler.annotation_col_map or {}) if iterable is ModelIterable else {},
        )

    def _run(self, values: tuple, using: str) -> tuple[_Compiled, list]:
        connection = connections[using]
        # Per connection object (one per thread): the converters are bound to its operations.
        compiled = self._compiled.get(id(connection))
        if compiled is None or compiled.compiler.connection is not connection:
            with self._lock:
                compiled = self._compiled[id(connection)] = self._compile(using)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return compiled, rows

    def rows(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """The tuples the ``values_list()`` queryset ``build(*values)`` would give, in its order."""
        compiled, rows = self._run(values, using)
        if compiled.fields is not None:
            raise TypeError("a model queryset: read it with all()")
        return [tuple(row) for row in rows]

    def all(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
        """The model instances the queryset ``build(*values)`` would give, in its order."""
        compiled, rows = self._run(values, using)
        if compiled.fields is None:
            raise TypeError("a values_list() queryset: read it with rows()")
        model = compiled.compiler.klass_info["model"]
        start, end, attnames = compiled.fields
        found = []
        for row in rows:
            obj = model.from_db(using, attnames, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found
