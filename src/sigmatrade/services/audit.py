"""Append-only, hash-chained audit log (SPEC §9.1).

Rows are written inside the caller's transaction. Inserts are serialised by the books lock
(``db.locks``: a PostgreSQL advisory transaction lock, taken in the documented lock order; SQLite's
write lock), the id is the previous id + 1, and
hash = SHA-256(canonical JSON of every field except ``hash``, including ``prev_hash``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.context import current_request_id
from sigmatrade.db.locks import lock_books
from sigmatrade.db.models import AuditLog, UserAction
from sigmatrade.domain.enums import ActorType
from sigmatrade.domain.jsonsafe import canonical_json, jsonable

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    id: int | None = None
    telegram_id: int | None = None


SYSTEM = Actor(ActorType.SYSTEM)
CLI = Actor(ActorType.CLI)


def user_actor(user_id: int, telegram_id: int | None = None) -> Actor:
    return Actor(ActorType.USER, user_id, telegram_id)


def admin_actor(admin_id: int, telegram_id: int | None = None) -> Actor:
    return Actor(ActorType.ADMIN, admin_id, telegram_id)


def _hash_fields(row: AuditLog) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "request_id": row.request_id,
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "actor_telegram_id": row.actor_telegram_id,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "amount": row.amount,
        "before": row.before,
        "after": row.after,
        "details": row.details,
        "prev_hash": row.prev_hash,
    }


def compute_hash(row: AuditLog) -> str:
    return hashlib.sha256(canonical_json(_hash_fields(row)).encode()).hexdigest()


async def log(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    target_type: str | None = None,
    target_id: int | None = None,
    amount: Decimal | None = None,
    before: Any = None,
    after: Any = None,
    details: Any = None,
) -> AuditLog:
    """Append one audit row in the caller's transaction."""
    await lock_books(session)  # the lock order of docs/decisions.md: books lock, then the chain's tail
    last = (
        await session.execute(select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    ).first()
    now: datetime = clock.now()
    row = AuditLog(
        id=(last[0] + 1) if last else 1,
        created_at=now,
        request_id=current_request_id(),
        actor_type=actor.type,
        actor_id=actor.id,
        actor_telegram_id=actor.telegram_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        amount=amount,
        before=jsonable(before),
        after=jsonable(after),
        details=jsonable(details),
        prev_hash=last[1] if last else GENESIS,
    )
    row.hash = compute_hash(row)
    session.add(row)
    await session.flush()
    return row


async def log_user_action(
    session: AsyncSession,
    user_id: int,
    telegram_id: int | None,
    action: str,
    *,
    details: Any = None,
    **kwargs: Any,
) -> AuditLog:
    """Audit row + ``user_actions`` analytics row."""
    session.add(
        UserAction(
            user_id=user_id,
            telegram_id=telegram_id,
            action=action,
            details=jsonable(details),
            request_id=current_request_id(),
        )
    )
    return await log(session, user_actor(user_id, telegram_id), action, details=details, **kwargs)


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    reason: str | None = None

    def render(self) -> str:
        if self.ok:
            return f"audit verify: OK ({self.rows} rows, chain intact)"
        return f"audit verify: BROKEN at id {self.first_broken_id}: {self.reason} ({self.rows} rows checked)"


async def verify(session: AsyncSession, batch: int = 2000) -> VerifyResult:
    """Recompute the chain; report the first modified, deleted or reordered row."""
    prev_hash = GENESIS
    prev_id = 0
    count = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditLog).where(AuditLog.id > prev_id).order_by(AuditLog.id).limit(batch)
            )
        ).all()
        if not rows:
            return VerifyResult(ok=True, rows=count)
        for row in rows:
            count += 1
            if row.id != prev_id + 1:
                return VerifyResult(False, count, row.id, f"row(s) {prev_id + 1}..{row.id - 1} missing")
            if row.prev_hash != prev_hash:
                return VerifyResult(False, count, row.id, "prev_hash does not match the previous row")
            if compute_hash(row) != row.hash:
                return VerifyResult(False, count, row.id, "row content does not match its hash")
            prev_hash, prev_id = row.hash, row.id
