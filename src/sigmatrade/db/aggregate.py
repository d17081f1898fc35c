"""Exact money aggregation on both dialects.

PostgreSQL sums NUMERIC exactly in SQL. SQLite stores money as text and its SUM() would go
through floating point, so there the rows are fetched and summed with Decimal in Python.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.session import is_postgres
from sigmatrade.domain.money import to_decimal


async def grouped_sums(session: AsyncSession, stmt: Any) -> dict[tuple[Any, ...], Decimal]:
    """``stmt`` selects (key columns..., money column). Returns {key tuple: exact sum}."""
    if is_postgres(session):
        sub = stmt.subquery()
        cols = list(sub.c)
        keys, amount = cols[:-1], cols[-1]
        agg = select(*keys, func.sum(amount)).group_by(*keys) if keys else select(func.sum(amount))
        rows = (await session.execute(agg)).all()
        return {tuple(row[:-1]): to_decimal(row[-1] if row[-1] is not None else 0) for row in rows}
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for row in (await session.execute(stmt)).all():
        totals[tuple(row[:-1])] += to_decimal(row[-1])
    return dict(totals)


async def total(session: AsyncSession, stmt: Any) -> Decimal:
    """``stmt`` selects one money column. Returns its exact sum (0 when empty)."""
    sums = await grouped_sums(session, stmt)
    return sum(sums.values(), Decimal(0))
