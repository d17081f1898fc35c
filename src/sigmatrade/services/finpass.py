"""Financial password checks with lockout (SPEC §3.8.1), shared by verification, withdrawals and
recovery. 5 consecutive wrong entries lock for 15 min (settings); success or expiry resets.

A successful check also completes a recovery whose new password was sent (SPEC §3.8.4: "any later
successful finpass check"): that write is ``complete_recovery``, called from ``check`` only, and its
result is reported in ``CheckResult.recovery_completed`` so callers see it happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import FinpassRecovery, User
from sigmatrade.db.session import is_postgres
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.services import audit, crypto
from sigmatrade.services.settings import SettingsStore


class CheckOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # locked now or still locked


@dataclass(frozen=True)
class CheckResult:
    outcome: CheckOutcome
    attempts_left: int = 0
    locked_until: datetime | None = None
    recovery_completed: FinpassRecovery | None = None  # a ``sent`` recovery this check completed

    @property
    def ok(self) -> bool:
        return self.outcome == CheckOutcome.OK


async def check(session: AsyncSession, store: SettingsStore, user_id: int, typed: str) -> CheckResult:
    """Check ``typed`` against the user's finpass inside the caller's unit of work (row locked)."""
    max_attempts = int(await store.get("finpass.max_attempts"))
    lockout = timedelta(minutes=int(await store.get("finpass.lockout_minutes")))
    user = await session.get(User, user_id, with_for_update=is_postgres(session), populate_existing=True)
    if user is None:
        raise LookupError("user not found")
    now = clock.now()
    if user.finpass_locked_until is not None:
        if user.finpass_locked_until > now:
            return CheckResult(CheckOutcome.LOCKED, 0, user.finpass_locked_until)
        user.finpass_locked_until = None
        user.finpass_failed_attempts = 0
    # Argon2 is slow by design: off the event loop, so other users' updates keep running meanwhile.
    if await crypto.verify_secret_off_loop(user.finpass_hash, typed.strip()):
        user.finpass_failed_attempts = 0
        if crypto.needs_rehash(user.finpass_hash):
            user.finpass_hash = await crypto.hash_secret_off_loop(typed.strip())
        completed = await complete_recovery(session, user.id)
        return CheckResult(CheckOutcome.OK, max_attempts, recovery_completed=completed)
    user.finpass_failed_attempts += 1
    await audit.log_user_action(
        session,
        user.id,
        user.telegram_id,
        "finpass_failed",
        details={"attempt": user.finpass_failed_attempts},
    )
    if user.finpass_failed_attempts >= max_attempts:
        user.finpass_locked_until = now + lockout
        await audit.log_user_action(
            session, user.id, user.telegram_id, "finpass_locked", details={"until": user.finpass_locked_until}
        )
        return CheckResult(CheckOutcome.LOCKED, 0, user.finpass_locked_until)
    return CheckResult(CheckOutcome.WRONG, max_attempts - user.finpass_failed_attempts)


async def complete_recovery(session: AsyncSession, user_id: int) -> FinpassRecovery | None:
    """Inside ``check``'s unit, after a successful check: complete a ``sent`` recovery and unblock
    earnings (SPEC §3.8.4). The old password no longer verifies, so only the new one gets here."""
    await session.flush()  # keep the caller's pending changes (the check reset its counter)
    row = await session.scalar(
        select(FinpassRecovery)
        .where(FinpassRecovery.user_id == user_id, FinpassRecovery.status == RecoveryStatus.SENT)
        .execution_options(populate_existing=True)
    )
    if row is None:
        return None
    user = await session.get(User, user_id, populate_existing=True)
    assert user is not None
    now = clock.now()
    row.status = RecoveryStatus.COMPLETED
    row.completed_at = now
    row.updated_at = now
    user.earnings_blocked = False
    await audit.log_user_action(
        session,
        user.id,
        user.telegram_id,
        "finpass_recovery_completed",
        target_type="finpass_recovery",
        target_id=row.id,
        before={"earnings_blocked": True},
        after={"earnings_blocked": False},
    )
    return row


async def attempts_left(store: SettingsStore, user: User) -> int:
    max_attempts = int(await store.get("finpass.max_attempts"))
    return max(0, max_attempts - user.finpass_failed_attempts)
