"""Plain statements on the hot path, with the ORM's own column lists and conversions.

A Django query costs 0.5–1.5 ms of CPU to build and compile on this Python — more than PostgreSQL
takes to answer it. The few statements every chat send makes are therefore written as SQL; these
helpers keep them tied to the models: columns come from `_meta`, values go in through each field's
`get_db_prep_save` (defaults, `auto_now_add`, UUIDs, JSON) and come out through the same converters
a queryset applies (e.g. SQLite's datetimes), so a field added to a model is picked up, not missed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections
from django.db.models import Model, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[Model], table: str | None = None) -> str:
    """Every concrete column of `model`, qualified by `table` (default: its own), in field order —
    the order `instance` expects."""
    quote = connection.ops.quote_name
    prefix = quote(table or model._meta.db_table)
    return ", ".join(f"{prefix}.{quote(field.column)}" for field in model._meta.concrete_fields)


def prepared_cursor() -> Any:
    """`connection.cursor()`, but on PostgreSQL with the parameters sent apart from the statement
    (server-side binding), so that psycopg prepares a statement run often on this connection
    (after `prepare_threshold` runs): PostgreSQL then parses and plans it once per connection, not
    on every run — the access read every send makes took 0.45 ms to plan and 0.2 ms to run. Django's
    cursors bind on the client, which never prepares. For plain statements whose parameters all sit
    where PostgreSQL can tell their type (comparisons with columns): an untyped one elsewhere — in a
    SELECT list, say — is read as text."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    client_side, raw.cursor_factory = raw.cursor_factory, ServerBindingCursor
    try:
        return connection.cursor()  # Django's own wrapping (query log, wrappers, time zone)
    finally:
        raw.cursor_factory = client_side


def placeholders(count: int) -> str:
    """`%s, %s, …` for an `IN (…)` of `count` values."""
    return ", ".join(["%s"] * count)


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


_converters: dict[tuple[str, type[Model]], list[tuple[Any, list[Converter]]]] = {}


def _converters_of(model: type[Model]) -> list[tuple[Any, list[Converter]]]:
    key = (connection.vendor, model)
    found = _converters.get(key)
    if found is None:
        found = []
        for field in model._meta.concrete_fields:
            column = field.get_col(model._meta.db_table)
            found.append(
                (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection))
            )
        _converters[key] = found
    return found


def instance(model: type[Model], values: Sequence[Any]) -> Model:
    """A `model` instance from one row's values of `columns(model)`, as a queryset would build it."""
    return builder(model)(values)


def insert_values(obj: Model, given: dict[str, str]) -> tuple[str, str, list[Any]]:
    """For `INSERT INTO table (<columns>) SELECT <values> …` of an unsaved `obj`: the column list, the
    value list and its parameters — every concrete column but an auto primary key, each value a
    placeholder for the field's prepared value (as `save()` would prepare it: `pre_save` fills
    `auto_now_add`), except the columns in `given` (attname → SQL expression, e.g. a CTE's column)."""
    quote = connection.ops.quote_name
    names, values, params = [], [], []
    for field in obj._meta.concrete_fields:
        if field.primary_key and field.db_returning:
            continue
        names.append(quote(field.column))
        if field.attname in given:
            values.append(given[field.attname])
            continue
        values.append("%s")
        params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    return ", ".join(names), ", ".join(values), params


def some_columns(model: type[Model], only: Sequence[str], table: str | None = None) -> str:
    """`columns` for some of `model`'s fields (attnames; the primary key is always among them), in
    field order — the order `builder(model, only)` expects. The rest are deferred, as `.only()`
    defers them: reading one later costs a query."""
    quote = connection.ops.quote_name
    prefix = quote(table or model._meta.db_table)
    return ", ".join(f"{prefix}.{quote(field.column)}" for field in _fields(model, only))


def _fields(model: type[Model], only: Sequence[str] | None) -> list[Any]:
    fields = model._meta.concrete_fields
    if only is None:
        return list(fields)
    wanted = {*only, model._meta.pk.attname}
    unknown = wanted - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    return [field for field in fields if field.attname in wanted]


@dataclass(frozen=True)
class _Recipe:
    """What building `model` instances from rows of some columns needs, the same on every call:
    the columns' attnames, those that need converting (index, column, converters), and whether
    their descriptors are Django's plain ones (see `_plain`)."""

    names: list[str]
    converting: list[tuple[int, Any, list[Converter]]]
    plain_columns: bool


_recipes: dict[tuple[str, type[Model], tuple[str, ...] | None], _Recipe] = {}


def _recipe(model: type[Model], only: Sequence[str] | None) -> _Recipe:
    key = (connection.vendor, model, None if only is None else tuple(only))
    recipe = _recipes.get(key)
    if recipe is None:
        fields = _fields(model, only)
        converters_of = dict(zip(model._meta.concrete_fields, _converters_of(model), strict=True))
        converting = [
            (index, *converters_of[field]) for index, field in enumerate(fields) if converters_of[field][1]
        ]
        names = [field.attname for field in fields]
        plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
        recipe = _recipes[key] = _Recipe(
            names, converting, all(type(getattr(model, name, None)) in plain for name in names)
        )
    return recipe


def builder(model: type[Model], only: Sequence[str] | None = None) -> Callable[[Sequence[Any]], Model]:
    """`instance` for the many rows of one statement: the columns that need no conversion (most, on
    PostgreSQL) are passed as they come, and the connection is looked up once, not per row and
    column (50 messages: 0.46 → 0.23 ms of CPU). `only`: the row holds `some_columns(model, only)`.
    Use it in the thread that made it, for the rows of the statement at hand."""
    db = connections[connection.alias]  # this thread's connection, not the proxy's per-call lookup
    recipe = _recipe(model, only)
    names, converting = recipe.names, recipe.converting
    alias, from_db = db.alias, model.from_db

    def _converted(values: Sequence[Any]) -> Sequence[Any]:
        if converting:
            values = list(values)
            for index, column, converters in converting:
                value = values[index]
                for convert in converters:
                    value = convert(value, column, db)
                values[index] = value
        return values

    if not _plain(model, recipe):

        def build(values: Sequence[Any]) -> Model:
            return from_db(alias, names, _converted(values))

        return build
    new, state = model.__new__, ModelState

    def build_plain(values: Sequence[Any]) -> Model:
        # What `from_db` makes, without `Model.__init__` (a setattr per column through the fields'
        # descriptors, two signals): a history page 2.5-2.6 -> 2.4 ms of CPU in process.
        obj = new(model)
        obj._state = state()
        obj._state.adding, obj._state.db = False, alias
        obj.__dict__.update(zip(names, _converted(values), strict=True))
        return obj

    return build_plain


def _plain(model: type[Model], recipe: _Recipe) -> bool:
    """Whether an instance of `model` is its attribute values and nothing else: no pre_init or
    post_init receivers (an ImageField's, a GenericForeignKey's; asked on every call, since
    receivers come and go), and every one of the recipe's columns stored as it is set — Django's
    own descriptors for plain and foreign-key columns, which put the value in `__dict__` (a deferred
    column is one missing there, as `from_db` leaves it)."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return False
    return recipe.plain_columns
