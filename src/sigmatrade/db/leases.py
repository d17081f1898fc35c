"""DB leases: exactly one holder per name across replicas (jobs, Telegram polling, payout sender)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from sigmatrade import clock
from sigmatrade.db.models import JobLease
from sigmatrade.db.session import Database


async def acquire(db: Database, name: str, holder: str, ttl: float) -> bool:
    """Take or renew the lease if it is free, expired or already ours."""
    now = clock.now()
    for _ in range(2):
        async with db.transaction() as session:
            result = await session.execute(
                update(JobLease)
                .where(
                    JobLease.job_name == name,
                    or_(JobLease.holder.is_(None), JobLease.holder == holder, JobLease.lease_until < now),
                )
                .values(holder=holder, lease_until=now + timedelta(seconds=ttl))
            )
            if getattr(result, "rowcount", 0):
                return True
            exists = await session.scalar(select(JobLease.job_name).where(JobLease.job_name == name))
            if exists is not None:
                return False
            try:
                async with session.begin_nested():
                    session.add(
                        JobLease(job_name=name, holder=holder, lease_until=now + timedelta(seconds=ttl))
                    )
                    await session.flush()
                return True
            except IntegrityError:
                continue
    return False


async def release(db: Database, name: str, holder: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(JobLease)
            .where(JobLease.job_name == name, JobLease.holder == holder)
            .values(holder=None, lease_until=None)
        )


async def holder_of(db: Database, name: str) -> str | None:
    async with db.session() as session:
        row = await session.get(JobLease, name)
        if row is None or row.lease_until is None or row.lease_until < clock.now():
            return None
        return row.holder
