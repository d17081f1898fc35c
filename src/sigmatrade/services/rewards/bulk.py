"""Bulk writes with a fixed number of statements, whatever the number of rows — the write half of the
calculator's Python plan (SQLite, and PostgreSQL while commissions on accruals are on; otherwise a
PostgreSQL batch is one statement, ``pg_batch``).

* PostgreSQL: one ``INSERT … SELECT FROM unnest(array, …)`` / ``UPDATE … FROM unnest(…)`` per call;
  each column travels as one text parameter split on the server and cast to the column's type
  (exact: decimals as their plain text), no per-row SQL.
* SQLite: one driver ``executemany`` per call (money bound as canonical text by the column types).
* Only schema names (tables, columns, types) are formatted into the SQL; every value is bound.
* Ids are allocated up front (the sequence on PostgreSQL; ``max(id)`` under SQLite's write lock), so no
  ``RETURNING`` round trip per row is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.base import Base

_PG = postgresql.dialect()
_SEP = chr(31)  # ASCII unit separator: never part of a key, an enum value or a number
_NULL = "\\N"


def _pg_type(table: Table, column: str) -> str:
    col = table.c[column]
    impl = col.type.dialect_impl(_PG) if hasattr(col.type, "dialect_impl") else col.type
    return str(impl.compile(dialect=_PG))


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _pg_text(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    text_value = str(value)
    if not text_value or _SEP in text_value or text_value == _NULL:
        raise ValueError("bulk text values must be non-empty and free of the separator")
    return text_value


def _pg_array(table: Table, column: str, index: int, values: list[Any]) -> tuple[str, str]:
    """The SQL and the parameter of one column: the values joined into one text parameter and split
    back on the server (``string_to_array``), then cast to the column's type. One parameter per column
    keeps the driver from encoding every element (exact: decimals travel as their plain text)."""
    joined = _SEP.join(_pg_text(v) for v in values)
    return f"CAST(string_to_array(:c{index}, chr(31), '{_NULL}') AS {_pg_type(table, column)}[])", joined


def _arrays(
    table: Table, columns: list[str], keys: list[str], rows: Sequence[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """``unnest`` arguments for ``columns`` (typed like the table) taking row values under ``keys``."""
    casts: list[str] = []
    params: dict[str, Any] = {}
    for i, (column, key) in enumerate(zip(columns, keys, strict=True)):
        cast_sql, values = _pg_array(table, column, i, [r[key] for r in rows])
        casts.append(cast_sql)
        params[f"c{i}"] = values
    return ", ".join(casts), params


async def allocate_ids(session: AsyncSession, model: type[Base], n: int, pg: bool) -> list[int]:
    table = _table(model)
    if n == 0:
        return []
    if pg:
        rows = await session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": n},
        )
        return [int(r[0]) for r in rows.all()]
    top = await session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table.name}"))  # noqa: S608 - schema names only
    start = int(top or 0) + 1
    return list(range(start, start + n))


async def insert_rows(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]], pg: bool
) -> None:
    table = _table(model)
    if not rows:
        return
    columns = list(rows[0])
    if not pg:
        await session.execute(insert(table), list(rows))
        return
    casts, params = _arrays(table, columns, columns, rows)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts})"  # noqa: S608
    await session.execute(text(sql), params)


async def update_rows(
    session: AsyncSession,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    pg: bool,
    *,
    where: str = "",
    expect: Sequence[str] = (),
) -> int:
    """Update rows by ``id`` with the other values of each row; returns how many rows changed.

    ``where`` adds a fixed SQL condition on the target row; each column of ``expect`` must still hold
    the row's ``was_<column>`` value (exact equality: canonical text on SQLite, numeric on PostgreSQL)."""
    table = _table(model)
    if not rows:
        return 0
    guards = {f"was_{c}" for c in expect}
    columns = [c for c in rows[0] if c != "id" and c not in guards]
    if not pg:
        stmt = update(table).where(table.c.id == bindparam("b_id"))
        if where:
            stmt = stmt.where(text(where))
        for c in expect:
            stmt = stmt.where(table.c[c] == bindparam(f"b_was_{c}", type_=table.c[c].type))
        stmt = stmt.values({c: bindparam(f"b_{c}", type_=table.c[c].type) for c in columns})
        result = await session.execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in rows])
        return int(getattr(result, "rowcount", 0) or 0)
    names = ["id", *columns, *(f"was_{c}" for c in expect)]
    arrays, params = _arrays(table, ["id", *columns, *expect], names, rows)
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    condition = (f" AND {where}" if where else "") + "".join(
        f" AND {table.name}.{c} = v.was_{c}" for c in expect
    )
    sql = (
        f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)})"  # noqa: S608
        f" WHERE {table.name}.id = v.id{condition}"
    )
    result = await session.execute(text(sql), params)
    return int(getattr(result, "rowcount", 0) or 0)
