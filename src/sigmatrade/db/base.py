"""Declarative base, naming convention and small column helpers shared by all models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Integer, MetaData, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sigmatrade import clock
from sigmatrade.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (rowid alias, autoincrement) on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def pk() -> Mapped[int]:
    return mapped_column(BigIntPK, primary_key=True, autoincrement=True)


def created_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, nullable=False, default=clock.now)


def updated_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, nullable=False, default=clock.now, onupdate=clock.now)


def enum_column(
    enum: type[StrEnum], *, nullable: bool = False, default: StrEnum | None = None
) -> Mapped[str]:
    length = max(len(member.value) for member in enum)
    return mapped_column(String(max(length, 8)), nullable=nullable, default=default)


def enum_check(column: str, values: Iterable[StrEnum | str], *, nullable: bool = False) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    expr = f"{column} IN ({listed})"
    if nullable:
        expr = f"{column} IS NULL OR {expr}"
    return CheckConstraint(expr, name=f"{column}_enum")


def where(sql: str) -> dict[str, Any]:
    """Partial-index predicate (``Index(..., **where("..."))``), the same on both dialects.

    The model names PostgreSQL's predicate only, and keeps the text in ``info["where"]``: a dialect
    keyword makes SQLAlchemy load that dialect to check it, so ``sqlite_where`` here would load the
    SQLite dialect (0.6 MB of idle RSS) into every PostgreSQL process. The models never build SQLite's
    schema: the migrations write both predicates, and tests/integration/test_schema.py checks that
    each partial index on either database carries its model's predicate."""
    return {"postgresql_where": text(sql), "info": {"where": sql}}


def pg_only(check: CheckConstraint) -> CheckConstraint:
    """A CHECK that compares money columns with each other: exact on PostgreSQL only.

    SQLite stores money as text, so such comparisons would be lexicographic there; on that
    dialect the application enforces the rule and ``ledger check`` verifies it.
    """
    return check.ddl_if(dialect="postgresql")
