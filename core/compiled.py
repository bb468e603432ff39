"""Querysets compiled once per process: a cache of query construction, never of rows.

Django builds and compiles a queryset's SQL on every evaluation; for a lookup that loads a row
with half a dozen related rows (``select_related``), that costs about 0.5 ms of Python each
time, three times what the database takes to answer it. ``CompiledQuery`` compiles such a
queryset once per process and database connection, with stand-in values in place of the ones
that change (a name, an id) and, for a page of it, in place of its slice; keeps its SQL and
what turns its rows into results (model instances with their related rows and annotations,
``values()`` dicts or ``values_list()`` tuples, each column through the converters Django would
apply, as ``ModelIterable``, ``ValuesIterable`` and ``ValuesListIterable`` do); and then runs
the SQL with each call's values. What it returns is what the queryset would: the rows are read
anew every time.

Proof that a query depends on its values only through its parameters: it is compiled twice,
with two different sets of stand-ins (and slices), and refused (``TypeError``) unless the SQL
text is the same and the parameters differ exactly where the stand-ins are.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # get_related_populators: not in the stubs
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

# An id no row has, for the stand-in of an id argument (its alternative is 7 less).
ID_STAND_IN = -918_273_645

# Connections compiled for at once (one per thread); more, and the compilations start over.
MAX_CONNECTIONS = 64

# The slices a sliced query is compiled with: sizes and offsets no page has.
_SLICES = ((645_546, 918_273), (546_372, 819_182))


def _alternative(stand_in: Any) -> Any:
    """A second stand-in of the same type, different from ``stand_in``."""
    if type(stand_in) is int:
        return stand_in - 7
    if type(stand_in) is str:
        return stand_in + "~other"
    raise TypeError(f"a stand-in is an int or a str, not {type(stand_in).__name__}")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the compiled parameters, stand-ins included
    positions: tuple[int, ...]  # where each value goes in ``params``
    compiler: SQLCompiler
    converters: dict
    kind: type  # the queryset's iterable class
    names: tuple[str, ...]  # values(): the dicts' keys
    # For model querysets: the model's columns in a row and their attribute names, the related
    # rows' populators and the annotations' columns.
    fields: tuple[int, int, list[str]] | None
    populators: list
    annotations: dict[str, int]


class CompiledQuery:
    """``build(*values)``: a queryset, read with ``all()`` (model instances; ``select_related``
    and annotations welcome), ``dicts()`` (a ``values()`` one) or ``rows()`` (a
    ``values_list()`` one, neither flat nor named); no prefetches.

    ``build`` must be a pure function of its arguments: the same arguments, the same query.
    It must never read the request's user, their roles or any cache: only what it is given
    varies, and each of ``values`` must reach the query as one parameter of its own (an exact
    lookup, compared as given), which the double compilation checks.

    ``stand_ins``: one value per argument of ``build`` (an int or a str), of the type the column
    takes; used only to compile, never sent to the database.

    ``sliced``: the reads take ``window``, a slice (a page: ``[start:stop]``), which the SQL
    reads as parameters of its ``LIMIT``/``OFFSET`` (see ``CompiledPages`` for a paginator).
    """

    def __init__(self, build: Callable[..., QuerySet], *stand_ins: Any, sliced: bool = False):
        self._build = build
        self._stand_ins = stand_ins
        self._alternatives = tuple(_alternative(s) for s in stand_ins)
        self._sliced = sliced
        self._compiled: dict[int, _Compiled] = {}
        self._lock = threading.Lock()

    def _sql(self, values: tuple, window: tuple[int, int] | None, using: str):
        queryset = self._build(*values)
        if queryset._prefetch_related_lookups or queryset._iterable_class not in (  # type: ignore[attr-defined]
            ModelIterable,
            ValuesIterable,
            ValuesListIterable,
        ):
            raise TypeError(
                "CompiledQuery takes model, values() or values_list() querysets without prefetches"
            )
        if window is not None:
            if queryset.query.is_sliced:
                raise TypeError("a sliced CompiledQuery is sliced by its reads, not by build")
            size, offset = window
            queryset = queryset[offset : offset + size]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if window is not None:  # the slice's literals become the last two parameters
            clause = f" LIMIT {window[0]} OFFSET {window[1]}"
            if not sql.endswith(clause) or sql.count(str(window[0])) != 1 or sql.count(str(window[1])) != 1:
                raise TypeError("the query's slice is not its closing LIMIT and OFFSET")
            sql, params = sql[: -len(clause)] + " LIMIT %s OFFSET %s", (*params, *window)
        return queryset, compiler, sql, tuple(params)

    def _compile(self, using: str) -> _Compiled:
        windows = _SLICES if self._sliced else (None, None)
        queryset, compiler, sql, params = self._sql(self._stand_ins, windows[0], using)
        _, _, other_sql, other_params = self._sql(self._alternatives, windows[1], using)
        # The proof: the same SQL, the parameters differing exactly where the stand-ins are.
        if other_sql != sql or len(other_params) != len(params):
            raise TypeError("the query's SQL depends on its values, not only its parameters")
        differing = [n for n, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b]
        positions = []
        for stand_in, other in zip(self._stand_ins, self._alternatives, strict=True):
            found = [n for n in differing if type(params[n]) is type(stand_in) and params[n] == stand_in]
            if len(found) != 1 or other_params[found[0]] != other:
                raise TypeError(f"{stand_in!r} is not exactly one parameter of the compiled query")
            positions.append(found[0])
        expected = positions + ([len(params) - 2, len(params) - 1] if self._sliced else [])
        if sorted(differing) != sorted(expected):
            raise TypeError("the query's parameters depend on more than its values")
        selected = [s[0] for s in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(selected):
            raise TypeError("CompiledQuery does not read composite primary keys")
        kind, query = queryset._iterable_class, queryset.query
        fields, populators, annotations = None, [], {}
        if kind is ModelIterable:
            klass_info, select = compiler.klass_info, compiler.select
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            fields = (start, end, [f[0].target.attname for f in select[start:end]])
            populators = get_related_populators(klass_info, select, using)
            annotations = dict(compiler.annotation_col_map or {})
        names = (
            tuple(query.selected)
            if query.selected
            else (*query.extra_select, *query.values_select, *query.annotation_select)
        )
        return _Compiled(
            sql=sql,
            params=params,
            positions=tuple(positions),
            compiler=compiler,
            converters=compiler.get_converters(selected),
            kind=kind,
            names=names,
            fields=fields,
            populators=populators,
            annotations=annotations,
        )

    def _run(self, values: tuple, window: slice | None, using: str, kind: type) -> tuple[_Compiled, list]:
        if len(values) != len(self._stand_ins):
            raise TypeError(f"the query takes {len(self._stand_ins)} values, not {len(values)}")
        connection = connections[using]
        # Per connection object (one per thread): the converters are bound to its operations.
        compiled = self._compiled.get(id(connection))
        if compiled is None or compiled.compiler.connection is not connection:
            with self._lock:
                if len(self._compiled) >= MAX_CONNECTIONS:
                    # A server that starts a thread per request (runserver) has a connection per
                    # request: forget the compilations of connections long gone.
                    self._compiled.clear()
                compiled = self._compiled[id(connection)] = self._compile(using)
        if compiled.kind is not kind:
            raise TypeError(f"the query is read by {compiled.kind.__name__}, not {kind.__name__}")
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        if self._sliced:
            if window is None or window.step is not None:
                raise TypeError("a sliced CompiledQuery reads a slice ([start:stop]) at a time")
            start = window.start or 0
            if window.stop is None or start < 0 or window.stop < 0:
                raise TypeError("a page is a slice with a stop, of positive bounds")
            if window.stop <= start:
                return compiled, []
            params[-2:] = [window.stop - start, start]
        elif window is not None:
            raise TypeError("only a sliced CompiledQuery reads a slice")
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return compiled, rows

    def rows(self, *values: Any, window: slice | None = None, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """The tuples the ``values_list()`` queryset ``build(*values)`` would give, in its order."""
        _, rows = self._run(values, window, using, ValuesListIterable)
        return [tuple(row) for row in rows]

    def dicts(self, *values: Any, window: slice | None = None, using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        """The dicts the ``values()`` queryset ``build(*values)`` would give, in its order."""
        compiled, rows = self._run(values, window, using, ValuesIterable)
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in rows]

    def all(self, *values: Any, window: slice | None = None, using: str = DEFAULT_DB_ALIAS) -> list[Any]:
        """The model instances the queryset ``build(*values)`` would give, in its order (typed
        ``Any``: the model is the queryset's)."""
        compiled, rows = self._run(values, window, using, ModelIterable)
        model = compiled.compiler.klass_info["model"]
        assert compiled.fields is not None
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


class CompiledPages:
    """A sliced ``CompiledQuery``'s results for ``values``, read a page at a time, for
    ``core.pages.paginate`` with the ``count`` known already (``paginate(..., count=n)``).
    ``read`` names the query's read: "dicts", "rows" or "all"."""

    ordered = True  # the query orders its rows (build's order_by or the model's ordering)

    def __init__(self, query: CompiledQuery, *values: Any, read: str = "dicts"):
        if read not in ("dicts", "rows", "all"):
            raise ValueError(f"no read {read!r}")
        self._read = getattr(query, read)
        self._values = values

    def __getitem__(self, window: slice) -> list:
        if not isinstance(window, slice):
            raise TypeError("CompiledPages is read a slice at a time")
        return self._read(*self._values, window=window)


def converted_rows(
    rows: Sequence[tuple], fields: Sequence[Field | None], using: str = DEFAULT_DB_ALIAS
) -> list[list]:
    """A cursor's ``rows`` of SQL written out, each value converted as the ORM converts the
    value of the model field its column reads (``fields``, one a column: None for a column
    taken as it comes), as ``raw()`` and ``values()`` querysets do: a SQLite boolean's 0 or 1,
    a datetime's text. The converters are looked up only when there are rows."""
    if not rows:
        return []
    connection = connections[using]
    converting = []
    for position, field in enumerate(fields):
        if field is None:
            continue
        column = field.get_col(field.model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            converting.append((position, converters, column))
    found = []
    for row in rows:
        values = list(row)
        for position, converters, column in converting:
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        found.append(values)
    return found
