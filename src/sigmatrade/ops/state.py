"""Per-process state of the operations monitors (a typed home on ``Runtime.ops``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sigmatrade.ops.disk import Tier
from sigmatrade.ops.loop_lag import LagSampler
from sigmatrade.ops.memory import Reading


@dataclass
class OpsState:
    # Jobs (and "auto_payouts") paused by the disk guard; the scheduler of this process skips them.
    paused: set[str] = field(default_factory=set)
    disk_tier: Tier = Tier.NORMAL  # the tier this process last applied
    disk_usage: Callable[[str], float] | None = None  # injected usage source (tests); None: the filesystem
    memory_reading: Callable[[], Reading] | None = None  # injected reading (tests); None: psutil
    loop_lag: LagSampler | None = None  # started by app for the process
