"""Database ids: every id column is a 64-bit signed integer (BIGINT), so any id taken from outside
(callback data, typed text) is checked against this bound before it reaches SQL."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def is_db_id(value: int) -> bool:
    """A positive id that fits the database's id columns."""
    return 0 < value <= MAX_ID
