"""Disk tiers of SPEC §9.5 and the file work of the disk guard (temp files, directory sizes).

The tier rule and the per-tier plan are pure; the job (``jobs.tasks.disk_guard``) applies them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path

from sigmatrade.ops import readings

AUTO_PAYOUTS = "auto_payouts"
TEMP_DIR_NAME = "tmp"

UsageSource = Callable[[str], float]


class Tier(IntEnum):
    NORMAL = 0
    WARN = 1
    SHED = 2
    EMERGENCY = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def tier_for(percent: float, warn: int, shed: int, emergency: int) -> Tier:
    if percent >= emergency:
        return Tier.EMERGENCY
    if percent >= shed:
        return Tier.SHED
    if percent >= warn:
        return Tier.WARN
    return Tier.NORMAL


@dataclass(frozen=True)
class Plan:
    """What a tier does (SPEC §9.5); higher tiers include the lower tiers' clean-up."""

    temp_older_than: timedelta | None
    paused: frozenset[str]
    log_level: str | None  # the level raised to, None: the configured level
    trim_backups: bool


# Non-critical work paused in an emergency; the money-critical jobs (blockchain monitor, payment
# processor and retry, reward calculator, notification retry) and the monitors keep running.
EMERGENCY_PAUSED = frozenset({"backup", "cleanup", "performance_report", "broadcast_processor", AUTO_PAYOUTS})

PLANS: dict[Tier, Plan] = {
    Tier.NORMAL: Plan(None, frozenset(), None, False),
    Tier.WARN: Plan(timedelta(days=7), frozenset(), None, False),
    Tier.SHED: Plan(timedelta(days=1), frozenset({"backup"}), "WARNING", True),
    Tier.EMERGENCY: Plan(timedelta(days=1), EMERGENCY_PAUSED, "ERROR", True),
}


def usage_percent(path: str) -> float:
    """Usage of the filesystem holding ``path`` (the nearest existing parent)."""
    probe = Path(path).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return readings.disk_percent(str(probe))


def read_usage(source: UsageSource | None, data_dir: str) -> float:
    """The usage percent from the injected source (tests) or the filesystem."""
    return (source or usage_percent)(data_dir)


def dir_size(path: Path) -> int:
    total = 0
    if path.is_file():
        return path.stat().st_size
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def temp_dir(data_dir: str) -> Path:
    return Path(data_dir) / TEMP_DIR_NAME


def clean_temp(directory: Path, older_than: timedelta, now: datetime) -> list[Path]:
    """Delete files under ``directory`` not modified for ``older_than``."""
    deleted: list[Path] = []
    if not directory.is_dir():
        return deleted
    for root, _dirs, names in os.walk(directory):
        for name in names:
            path = Path(root) / name
            try:
                modified = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
                if now - modified > older_than:
                    path.unlink()
                    deleted.append(path)
            except OSError:
                continue
    return deleted
