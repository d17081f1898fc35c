"""Reward sessions (SPEC §2.7, §3.6.1, §3.6.6): create, toggle, delete, recalculate, statistics.

Writers of sessions take the calculator's lock (``pg_advisory_xact_lock`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises anyway), so the overlap check of two admins at once, and a deletion
racing a calculator batch, are decided one after the other. Every change is audited. The admin
screens only render these results.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.aggregate import grouped_sums
from sigmatrade.db.models import RewardAccrual, RewardSession
from sigmatrade.db.session import Database, begin_read, is_postgres
from sigmatrade.domain.paging import page_count
from sigmatrade.domain.reward_sessions import SessionDraft, check_draft, overlaps
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.rewards.engine import ADVISORY_LOCK_ID, RunResult
from sigmatrade.services.rewards.run import run_once


class Outcome(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    OVERLAP = "overlap"
    HAS_ACCRUALS = "has_accruals"
    UNCHANGED = "unchanged"


@dataclass
class Change:
    outcome: Outcome
    session: RewardSession | None = None
    conflict: RewardSession | None = None  # the active session that overlaps


@dataclass
class SessionStats:
    accruals: int = 0
    total: Decimal = Decimal(0)
    deposits: int = 0
    per_level: dict[int, tuple[int, Decimal]] = field(default_factory=dict)


async def _lock(session: AsyncSession) -> None:
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_ID})


async def _overlapping(
    session: AsyncSession, starts_at: datetime, ends_at: datetime, exclude: int | None = None
) -> RewardSession | None:
    stmt = select(RewardSession).where(RewardSession.is_active.is_(True)).order_by(RewardSession.starts_at)
    if exclude is not None:
        stmt = stmt.where(RewardSession.id != exclude)
    for other in (await session.scalars(stmt)).all():
        if overlaps(starts_at, ends_at, other.starts_at, other.ends_at):
            return other
    return None


def _snapshot(row: RewardSession) -> dict[str, object]:
    return {
        "name": row.name,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "rates": [str(row.rate_for(level)) for level in range(1, 6)],
        "is_active": row.is_active,
    }


async def create(db: Database, draft: SessionDraft, *, admin_id: int | None, actor: audit.Actor) -> Change:
    """A new active session; refused when it overlaps an active one."""
    draft = check_draft(draft.name, draft.starts_at, draft.ends_at, draft.rates)
    async with db.transaction() as session:
        await _lock(session)
        conflict = await _overlapping(session, draft.starts_at, draft.ends_at)
        if conflict is not None:
            return Change(Outcome.OVERLAP, conflict=conflict)
        row = RewardSession(
            name=draft.name,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            is_active=True,
            created_by_admin_id=admin_id,
            **{f"rate_level_{i + 1}": rate for i, rate in enumerate(draft.rates)},
        )
        session.add(row)
        await session.flush()
        await audit.log(
            session,
            actor,
            "reward_session_created",
            target_type="reward_session",
            target_id=row.id,
            after=_snapshot(row),
        )
    return Change(Outcome.OK, row)


async def set_active(db: Database, session_id: int, active: bool, *, actor: audit.Actor) -> Change:
    async with db.transaction() as session:
        await _lock(session)
        row = await session.get(RewardSession, session_id, with_for_update=is_postgres(session))
        if row is None:
            return Change(Outcome.NOT_FOUND)
        if row.is_active == active:
            return Change(Outcome.UNCHANGED, row)
        if active:
            conflict = await _overlapping(session, row.starts_at, row.ends_at, exclude=row.id)
            if conflict is not None:
                return Change(Outcome.OVERLAP, row, conflict)
        before = _snapshot(row)
        row.is_active = active
        row.deactivated_at = None if active else clock.now()
        await session.flush()
        await audit.log(
            session,
            actor,
            "reward_session_activated" if active else "reward_session_deactivated",
            target_type="reward_session",
            target_id=row.id,
            before=before,
            after=_snapshot(row),
        )
    return Change(Outcome.OK, row)


async def remove(db: Database, session_id: int, *, actor: audit.Actor) -> Change:
    """Delete a session that has no accruals (otherwise it can only be deactivated)."""
    async with db.transaction() as session:
        await _lock(session)
        row = await session.get(RewardSession, session_id)
        if row is None:
            return Change(Outcome.NOT_FOUND)
        used = await session.scalar(
            select(RewardAccrual.id).where(RewardAccrual.session_id == session_id).limit(1)
        )
        if used is not None:
            return Change(Outcome.HAS_ACCRUALS, row)
        snapshot = _snapshot(row)
        await session.execute(delete(RewardSession).where(RewardSession.id == session_id))
        await audit.log(
            session,
            actor,
            "reward_session_deleted",
            target_type="reward_session",
            target_id=session_id,
            before=snapshot,
        )
    return Change(Outcome.OK, row)


async def recalculate(rt: Runtime, session_id: int, *, actor: audit.Actor) -> RunResult | None:
    """Run the calculator for this session now (idempotent); None for an unknown session."""
    async with rt.db.session() as session:
        exists = await session.scalar(select(RewardSession.id).where(RewardSession.id == session_id))
        await session.commit()
    if exists is None:
        return None
    result = await run_once(rt, only_session=session_id)
    async with rt.db.transaction() as session:
        await audit.log(
            session,
            actor,
            "reward_session_recalculated",
            target_type="reward_session",
            target_id=session_id,
            amount=result.total,
            details={"accruals": result.accruals, "commissions": result.commissions},
        )
    return result


async def stats(db: Database, session_id: int) -> SessionStats:
    """Accruals count and sum per level, and how many deposits accrued (the admin view)."""
    async with db.session() as session:
        sums = await grouped_sums(
            session,
            select(RewardAccrual.level, RewardAccrual.amount).where(RewardAccrual.session_id == session_id),
        )
        counts = dict(
            (
                await session.execute(
                    select(RewardAccrual.level, func.count())
                    .where(RewardAccrual.session_id == session_id)
                    .group_by(RewardAccrual.level)
                )
            ).all()
        )
        deposits = int(
            await session.scalar(
                select(func.count(func.distinct(RewardAccrual.deposit_id))).where(
                    RewardAccrual.session_id == session_id
                )
            )
            or 0
        )
        await session.commit()
    per_level: dict[int, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for (level,), amount in sums.items():
        per_level[int(level)] = (int(counts.get(level, 0)), amount)
    result = SessionStats(deposits=deposits, per_level=dict(per_level))
    result.accruals = sum(c for c, _ in result.per_level.values())
    result.total = sum((s for _, s in result.per_level.values()), Decimal(0))
    return result


# ------------------------------------------------------------------------------------------ reading
PAGE_SIZE = 5


@dataclass(frozen=True)
class SessionPage:
    rows: list[RewardSession]
    page: int
    pages: int
    total: int
    current_id: int | None  # the active session whose window holds "now", if any


async def listing(db: Database, page: int, now: datetime) -> SessionPage:
    """Sessions 5 per page, newest window first (SPEC §5.8 "Reward sessions")."""
    async with db.session() as session:
        await begin_read(session)
        total = int(await session.scalar(select(func.count()).select_from(RewardSession)) or 0)
        pages = page_count(total, PAGE_SIZE)
        page = 1 if page < 1 else min(page, pages)
        rows = list(
            (
                await session.scalars(
                    select(RewardSession)
                    .order_by(RewardSession.starts_at.desc(), RewardSession.id.desc())
                    .offset((page - 1) * PAGE_SIZE)
                    .limit(PAGE_SIZE)
                )
            ).all()
        )
        current = await session.scalar(
            select(RewardSession.id)
            .where(
                RewardSession.is_active.is_(True),
                RewardSession.starts_at <= now,
                RewardSession.ends_at > now,
            )
            .order_by(RewardSession.starts_at)
            .limit(1)
        )
        await session.commit()
    return SessionPage(rows, page, pages, total, current)


async def get(db: Database, session_id: int) -> RewardSession | None:
    async with db.session() as session:
        await begin_read(session)
        row = await session.get(RewardSession, session_id)
        await session.commit()
    return row
