"""CLI command groups contributed by features: each module exposes ``register(subparsers)``.

``opened`` is the one way a command opens the database: at the schema's head (or upgraded to it),
disposed when the command is done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sigmatrade.config import Config, ConfigError

if TYPE_CHECKING:
    from sigmatrade.db.session import Database


@asynccontextmanager
async def opened(config: Config, *, upgrade: bool = False) -> AsyncIterator[Database]:
    """The configured database; a schema behind its head is refused (``schema.NOT_AT_HEAD``) unless
    ``upgrade`` brings it there."""
    from sigmatrade.db import schema
    from sigmatrade.db.session import Database

    db = Database(config.database_url)
    try:
        if upgrade:
            await schema.upgrade(db.engine)
        elif not await schema.is_at_head(db.engine):
            raise ConfigError(schema.NOT_AT_HEAD)
        yield db
    finally:
        await db.dispose()
