"""Per-action limits (SPEC §6): registration 3/h, deposit activation 10/h, withdrawals 5/h, …

The limit of an action comes from the setting ``throttle.<action>`` ('N/<size><s|m|h|d>').
Exceeding it answers with the time to wait and changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sigmatrade.runtime import Runtime
from sigmatrade.services.ratelimit import parse_limit

ACTIONS = (
    "registration",
    "deposit_activation",
    "withdrawal_request",
    "finpass_recovery",
    "support_ticket",
    "support_part",
    "contacts_update",
)


@dataclass(frozen=True)
class LimitResult:
    allowed: bool
    wait_seconds: int = 0


async def _rule(rt: Runtime, action: str, telegram_id: int) -> tuple[str, int, float]:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action}")
    limit, window = parse_limit(str(await rt.store.get(f"throttle.{action}")))
    return f"action:{action}:{telegram_id}", limit, window


async def hit(rt: Runtime, action: str, telegram_id: int) -> LimitResult:
    """Count one use of ``action``; refuse (without counting) when the limit is reached."""
    verdict = await rt.counter.hit(*await _rule(rt, action, telegram_id))
    return LimitResult(verdict.allowed, math.ceil(verdict.retry_after))


async def peek(rt: Runtime, action: str, telegram_id: int) -> LimitResult:
    """Would one more use of ``action`` be allowed now? Counts nothing."""
    verdict = await rt.counter.peek(*await _rule(rt, action, telegram_id))
    return LimitResult(verdict.allowed, math.ceil(verdict.retry_after))


def wait_text_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))
