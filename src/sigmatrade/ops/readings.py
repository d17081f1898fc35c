"""Readings of this process and machine: resident memory, system memory in use, disk usage, CPU.

On Linux they come straight from ``/proc``, ``statvfs`` and ``os.times`` with psutil's formulas: psutil
costs 0.85 MB of every process's idle memory for four numbers (docs/performance.md, "Idle RSS").
Elsewhere psutil is loaded on first use. ``tests/unit/test_readings.py`` holds the two to each other.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

_LINUX = sys.platform.startswith("linux") and os.path.exists("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if _LINUX else 4096


def _psutil() -> Any:
    import psutil

    return psutil


def process_rss() -> int:
    """Resident set size of this process, in bytes."""
    if not _LINUX:
        return int(_psutil().Process(os.getpid()).memory_info().rss)
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def memory_percent() -> float:
    """System memory in use: (total − available) / total, one decimal (psutil's ``virtual_memory``)."""
    if not _LINUX:
        reading: float = _psutil().virtual_memory().percent
        return reading
    fields: dict[bytes, int] = {}
    with open("/proc/meminfo", "rb") as meminfo:
        for line in meminfo:
            name, _, rest = line.partition(b":")
            fields[name] = int(rest.split()[0])
    total = fields[b"MemTotal"]
    available = fields.get(b"MemAvailable")
    if available is None:  # kernels before 3.14
        available = fields[b"MemFree"] + fields.get(b"Buffers", 0) + fields.get(b"Cached", 0)
    return _percent(total - available, total)


def disk_percent(path: str) -> float:
    """Usage of the filesystem holding ``path`` as psutil's ``disk_usage`` counts it: used / (used + what
    a non-root user may still write), one decimal."""
    if not _LINUX:
        used: float = _psutil().disk_usage(path).percent
        return used
    st = os.statvfs(path)
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    return _percent(used, used + st.f_bavail * st.f_frsize)


class CpuMeter:
    """CPU used by this process since the previous call, in percent of one core (psutil's
    ``cpu_percent(interval=None)``: the first call says 0.0)."""

    def __init__(self) -> None:
        self._last: tuple[float, float] | None = None

    def percent(self) -> float:
        times = os.times()
        now = (time.monotonic(), times.user + times.system)
        last, self._last = self._last, now
        if last is None or now[0] <= last[0]:
            return 0.0
        return round((now[1] - last[1]) / (now[0] - last[0]) * 100, 1)


def _percent(used: float, total: float) -> float:
    return round(used / total * 100, 1) if total > 0 else 0.0
