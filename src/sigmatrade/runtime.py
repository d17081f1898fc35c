"""The process-wide container handed to handlers, services and jobs, built in one place (``app``).

``Runtime`` belongs to the services layer (docs/architecture.md): every layer above may read it,
nothing below imports it. Components built by higher layers — the chain runtime, the job scheduler,
the unexpected-error hook — are reached through the small ports declared here, so the layers below
them can use what they need without importing them. Per-process state that lives between job runs
has a typed home here too.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sigmatrade.config import Config
from sigmatrade.db.leases import holder_id
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import JobStatus
from sigmatrade.ops.state import OpsState
from sigmatrade.services.perf_report import Report, Samples
from sigmatrade.services.ratelimit import Counter
from sigmatrade.services.settings import SettingsStore

if TYPE_CHECKING:
    from aiogram import Bot
    from redis.asyncio import Redis

ErrorHook = Callable[[str, str | None], Awaitable[None]]


class ChainPort(Protocol):
    """What the layers below ``chain`` see of ``chain.runtime.ChainRuntime``."""

    @property
    def enabled(self) -> bool: ...

    def known_head(self) -> int | None:
        """The last chain head seen by the provider (no network I/O)."""

    async def health(self) -> dict[str, object]:
        """The chain check of ``/healthz``."""


class JobsPort(Protocol):
    """What the layers beside and below ``jobs`` see of ``jobs.scheduler.Scheduler``."""

    async def run_now(self, name: str) -> JobStatus:
        """Run one job at once, still under its lease."""


@dataclass
class PerfReportState:
    """The hourly performance report's memory between runs: the counters at the last report and when."""

    snapshot: Samples | None = None
    snapshot_at: float | None = None
    last_report: Report | None = None


def make_replica_id() -> str:
    """This process as a lease holder (see ``db.leases``: a restarted process recognises it as dead)."""
    return holder_id()


@dataclass
class Runtime:
    config: Config
    db: Database
    store: SettingsStore
    counter: Counter
    redis: Redis | None = None
    bot: Bot | None = None
    replica_id: str = field(default_factory=make_replica_id)
    started_at: float = field(default_factory=time.monotonic)
    bot_username: str | None = None
    chain: ChainPort | None = None  # set by chain.runtime.start_chain when BSC_RPC_URLS is configured
    jobs: JobsPort | None = None  # set by app when the scheduler runs in this process
    on_unexpected_error: ErrorHook | None = None  # set by app: alerts super admins
    perf: PerfReportState = field(default_factory=PerfReportState)
    ops: OpsState = field(default_factory=OpsState)  # disk guard, memory monitor, event-loop lag
