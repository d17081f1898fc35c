"""Bulk writes with a fixed number of statements, whatever the number of rows.

* PostgreSQL: one ``INSERT … SELECT FROM unnest(array, …)`` / ``UPDATE … FROM unnest(…)`` per call;
  the arrays travel as typed parameters (exact ``numeric``), no per-row SQL.
* SQLite: one driver ``executemany`` per call (money bound as canonical text by the column types).
* Only schema names (tables, columns, types) are formatted into the SQL; every value is bound.
* Ids are allocated up front (the sequence on PostgreSQL; ``max(id)`` under SQLite's write lock), so no
  ``RETURNING`` round trip per row is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.base import Base

_PG = postgresql.dialect()


def _pg_type(table: Table, column: str) -> str:
    col = table.c[column]
    impl = col.type.dialect_impl(_PG) if hasattr(col.type, "dialect_impl") else col.type
    return str(impl.compile(dialect=_PG))


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


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
    arrays = ", ".join(f"CAST(:c{i} AS {_pg_type(table, c)}[])" for i, c in enumerate(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"  # noqa: S608
    params = {f"c{i}": [_plain(r[c]) for r in rows] for i, c in enumerate(columns)}
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
    types = [_pg_type(table, c) for c in ["id", *columns, *expect]]
    arrays = ", ".join(f"CAST(:c{i} AS {t}[])" for i, t in enumerate(types))
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    condition = (f" AND {where}" if where else "") + "".join(
        f" AND {table.name}.{c} = v.was_{c}" for c in expect
    )
    sql = (
        f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)})"  # noqa: S608
        f" WHERE {table.name}.id = v.id{condition}"
    )
    params = {f"c{i}": [_plain(r[c]) for r in rows] for i, c in enumerate(names)}
    result = await session.execute(text(sql), params)
    return int(getattr(result, "rowcount", 0) or 0)
