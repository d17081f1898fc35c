"""The jobs of SPEC §7 and their default intervals (seconds)."""

from __future__ import annotations

JOB_INTERVALS: dict[str, int] = {
    "blockchain_monitor": 5,
    "payment_processor": 15,
    "payment_retry": 30,
    "notification_retry": 30,
    "reward_calculator": 600,
    "broadcast_processor": 1,
    "backup": 21_600,
    "cleanup": 86_400,
    "disk_guard": 3_600,
    "performance_report": 3_600,
    "memory_monitor": 300,
}

# Run once when a scheduler starts, whatever their next_run_at says (SPEC §9.5: "hourly and at start").
AT_START: tuple[str, ...] = ("disk_guard",)
