"""The process-wide container handed to handlers, services and jobs."""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sigmatrade.config import Config
from sigmatrade.db.session import Database
from sigmatrade.services.ratelimit import Counter
from sigmatrade.services.settings import SettingsStore

if TYPE_CHECKING:
    from aiogram import Bot


def make_replica_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Runtime:
    config: Config
    db: Database
    store: SettingsStore
    counter: Counter
    redis: Any | None = None
    bot: Bot | None = None
    replica_id: str = field(default_factory=make_replica_id)
    started_at: float = field(default_factory=time.monotonic)
    bot_username: str | None = None
    chain: Any | None = None  # chain.runtime.ChainRuntime when BSC_RPC_URLS is configured
    extras: dict[str, Any] = field(default_factory=dict)
