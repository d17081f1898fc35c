"""Memory thresholds of SPEC §9.4.3 (pure) and the reading the memory monitor uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from sigmatrade.ops import readings

SYSTEM_WARN_PERCENT = 80.0
SYSTEM_CRITICAL_PERCENT = 90.0
MB = 2**20


@dataclass(frozen=True)
class Reading:
    rss_bytes: int
    system_percent: float

    @property
    def rss_mb(self) -> float:
        return self.rss_bytes / MB


ReadingSource = Callable[[], Reading]


class Level(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


def read() -> Reading:
    return Reading(readings.process_rss(), readings.memory_percent())


def process_level(rss_mb: float, warn_mb: int, critical_mb: int) -> Level:
    if rss_mb > critical_mb:
        return Level.CRITICAL
    if rss_mb > warn_mb:
        return Level.WARNING
    return Level.OK


def system_level(percent: float) -> Level:
    if percent > SYSTEM_CRITICAL_PERCENT:
        return Level.CRITICAL
    if percent > SYSTEM_WARN_PERCENT:
        return Level.WARNING
    return Level.OK
