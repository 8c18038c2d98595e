"""Reads whose SQL is compiled once per process and run with new parameters.

The public pages ask the same few questions for every request, with other numbers in them (the
figures of this organisation, of the organisations below that parent in that year). Building a
QuerySet and compiling its SQL is a large part of such a read: for the figures of the
organisations beside a province, 1.6 ms of building and compiling against 4.4 ms of running the
SQL and fetching its 1,553 rows (medians in process; bench/HISTORY.md, sixteenth machine).

A ``CompiledRead`` builds its QuerySet once, with a marker for each argument, keeps the SQL and
where each argument goes in its parameters, and afterwards runs that SQL through the same
database connection and the same value converters as the QuerySet would: the rows are equal, on
SQLite as on PostgreSQL, and the query is counted and logged like any other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

# What stands for the arguments while compiling. Integers in range for every integer field (a
# year is a small positive integer, and Django drops a comparison with a value out of a field's
# range). The query is compiled with two sets of markers, which must agree on everything else.
_MARKERS = (32_001, 32_301)


def _marker(kind: type, first: int, n: int) -> Any:
    return first + n if kind is int else f"compiled-read-{first + n}"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int, type], ...]  # (position in params, argument, its type)
    select: tuple[Any, ...]  # the selected expressions, for their value converters
    columns: tuple[str, ...]  # their names


class CompiledRead:
    """``build(*args)``, a ``values_list()`` QuerySet of ``model``, run as rows of tuples. Each
    argument is an integer (a key, a year) or a string (a code) of the types given, used only as
    a value to filter by: the shape of the query must not depend on the arguments' values, since
    ``build`` is called with markers in their place."""

    def __init__(
        self, model: type[Model], arguments: tuple[type, ...], build: Callable[..., QuerySet]
    ) -> None:
        if not set(arguments) <= {int, str}:
            raise TypeError("arguments are integers or strings")
        self.model = model
        self.arguments = arguments
        self.arity = len(arguments)
        self.build = build
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile_with(self, alias: str, first: int) -> tuple[_Compiled, list[Any]]:
        markers = [_marker(kind, first, n) for n, kind in enumerate(self.arguments)]
        queryset = self.build(*markers)
        if queryset._iterable_class.__name__ != "ValuesListIterable" or not queryset._fields:
            raise TypeError("a CompiledRead reads values_list() rows")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        columns = sorted(compiler.annotation_col_map, key=compiler.annotation_col_map.get)
        if tuple(columns) != tuple(queryset._fields) or compiler.col_count != len(columns):
            raise TypeError("a CompiledRead reads the named columns, in their order")
        slots = tuple(
            (position, markers.index(value), type(value))
            for position, value in enumerate(params)
            if isinstance(value, int | str) and value in markers
        )
        select = tuple(column for column, _sql, _alias in compiler.select[: compiler.col_count])
        taken = {slot[0] for slot in slots}
        rest = [value for position, value in enumerate(params) if position not in taken]
        return _Compiled(sql, tuple(params), slots, select, tuple(columns)), rest

    def _compile(self, alias: str) -> _Compiled:
        compiled, rest = self._compile_with(alias, _MARKERS[0])
        again, rest_again = self._compile_with(alias, _MARKERS[1])
        arguments = {slot[1] for slot in compiled.slots}
        if (
            compiled.sql != again.sql
            or compiled.slots != again.slots
            or rest != rest_again
            or arguments != set(range(self.arity))
        ):
            raise ValueError("each argument must reach the query as a parameter of its own")
        return compiled

    def compiled(self, alias: str) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = compiled
        return compiled

    def rows(self, *args: int | str) -> list[tuple[Any, ...]]:
        alias = router.db_for_read(self.model)
        return self._run(alias, self.compiled(alias), args)

    def instances(self, *args: int | str) -> list[Any]:
        """The rows as instances of the model, as the QuerySet without ``values_list()``
        would give them, for a read of exactly ``fields_of(model)``."""
        alias = router.db_for_read(self.model)
        compiled = self.compiled(alias)
        if compiled.columns != fields_of(self.model):
            raise TypeError("instances are read with every field of the model's row")
        from_db = self.model.from_db
        return [from_db(alias, compiled.columns, row) for row in self._run(alias, compiled, args)]

    def _run(
        self, alias: str, compiled: _Compiled, args: tuple[int | str, ...]
    ) -> list[tuple[Any, ...]]:
        if len(args) != self.arity:
            raise TypeError(f"{self.arity} arguments expected, {len(args)} given")
        params = list(compiled.params)
        for position, argument, kind in compiled.slots:  # the backend's own wrapper (Int2 …)
            params[position] = kind(args[argument])
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: Sequence[tuple[Any, ...]] = cursor.fetchall()
        # Found per call: a converter may be bound to this thread's connection.
        converters = _converters(connection, compiled.select)
        if not converters:
            return rows if isinstance(rows, list) else list(rows)
        converted = []
        for row in rows:
            values = list(row)
            for index, functions, expression in converters:
                value = values[index]
                for function in functions:
                    value = function(value, expression, connection)
                values[index] = value
            converted.append(tuple(values))
        return converted


def fields_of(model: type[Model]) -> tuple[str, ...]:
    """The columns of a model's own row, as ``values_list()`` names them and ``from_db`` takes
    them: a read of these gives instances equal to the QuerySet's own."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def _converters(connection: Any, select: tuple[Any, ...]) -> list[tuple[int, list, Any]]:
    """The backend's and the fields' converters for each selected column, as Django's own
    compiler applies them (``SQLCompiler.get_converters``)."""
    found = []
    for index, expression in enumerate(select):
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if functions:
            found.append((index, functions, expression))
    return found
