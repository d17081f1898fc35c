"""Exact column types that behave the same on PostgreSQL and SQLite.

* ``Money``: NUMERIC(38,18) on PostgreSQL; canonical decimal text on SQLite (exact round trip).
* ``Uint256``: NUMERIC(78,0) on PostgreSQL; decimal text on SQLite; Python ``int``.
* ``UTCDateTime``: timezone-aware UTC in Python; TIMESTAMPTZ on PostgreSQL, ISO text on SQLite.
* ``Rate``: NUMERIC(10,4) on PostgreSQL; decimal text on SQLite.

SQLite compares text lexicographically, so money comparisons and sums are done in Python,
never in SQL, on that dialect (sign checks against 0 are safe in both: see docs/decisions.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

from sigmatrade.domain.money import canonical, to_decimal


class _DecimalText(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True
    precision = 38
    scale = 18

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(100))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        dec = to_decimal(value)
        if dialect.name == "sqlite":
            return canonical(dec)
        return dec

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return to_decimal(value)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class Money(_DecimalText):
    """Exact money: NUMERIC(38,18) / canonical text."""

    cache_ok = True
    precision = 38
    scale = 18

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        dec = to_decimal(value)
        if dec != dec.quantize(Decimal(1).scaleb(-18)):
            raise ValueError(f"money value {dec} has more than 18 decimals")
        if dialect.name == "sqlite":
            return canonical(dec)
        return dec


class Rate(_DecimalText):
    """Percent rates: NUMERIC(10,4) / canonical text."""

    cache_ok = True
    precision = 10
    scale = 4


class Uint256(TypeDecorator[int]):
    """Raw on-chain integer amounts: NUMERIC(78,0) / decimal text."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(80))
        return dialect.type_descriptor(Numeric(78, 0, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("uint256 columns take int")
        if value < 0 or value >= 2**256:
            raise ValueError("uint256 out of range")
        return str(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(Decimal(value)) if not isinstance(value, int) else value

    @property
    def python_type(self) -> type[int]:
        return int


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both dialects."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("timestamp columns take datetime")
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"timestamp column returned {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
