"""DB leases: exactly one holder per name across replicas (jobs, Telegram polling, payout sender).

A holder is ``<machine>:<pid>:<token>`` (``holder_id``): ``machine`` names the host name plus a
digest of the kernel boot id and the PID namespace, so two processes with the same ``machine``
see each other's PIDs. A lease is free when nobody holds it, when it expired, or when its holder is
a dead process of this machine: same ``machine`` and either our own PID with another token (a
previous incarnation — containers restart as PID 1) or a PID that no longer exists. So a process
restarted after a crash takes its predecessor's leases at once instead of waiting out the TTL,
while two live processes never take each other's lease (a live PID is never taken over; another
machine's holder only by expiry). Every take-over is a conditional UPDATE on the exact holder seen.

TTLs are short (``TTL``, renewed every ``RENEW_EVERY``) so a standby replica on another machine
takes over within ``TTL + RETRY_EVERY`` seconds; a clean shutdown releases every lease.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError

from sigmatrade import clock
from sigmatrade.db.models import JobLease
from sigmatrade.db.session import Database

TTL = 10.0
RENEW_EVERY = 3.0
RETRY_EVERY = 2.0


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def machine_id() -> str:
    """This machine and PID namespace: PIDs of holders with the same value can be checked here."""
    host = socket.gethostname()
    digest = hashlib.sha256(
        f"{host}|{_read('/proc/sys/kernel/random/boot_id')}|{_pid_namespace()}".encode()
    ).hexdigest()[:10]
    return f"{host[:24]}/{digest}"


_issued: set[str] = set()  # holder ids of this process (tests run several runtimes in one process)


def holder_id() -> str:
    """A new holder identity for this process (fits ``job_leases.holder``, 64 characters)."""
    holder = f"{machine_id()}:{os.getpid()}:{secrets.token_hex(3)}"
    _issued.add(holder)
    return holder


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def is_dead_predecessor(holder: str | None, me: str) -> bool:
    """True when ``holder`` is a process of this machine that is gone (never for a live one)."""
    if not holder or holder == me:
        return False
    try:
        machine, pid_text, _token = holder.rsplit(":", 2)
        my_machine, my_pid_text, _ = me.rsplit(":", 2)
        pid, my_pid = int(pid_text), int(my_pid_text)
    except ValueError:
        return False
    if machine != my_machine or machine != machine_id():
        return False
    if pid == my_pid:
        # our PID with a token this process never issued: an earlier incarnation (one PID, one process)
        return holder not in _issued
    return not _pid_alive(pid)


async def acquire(
    db: Database,
    name: str,
    holder: str,
    ttl: float = TTL,
    *,
    when: Sequence[ColumnElement[bool]] = (),
    values: dict[str, Any] | None = None,
) -> bool:
    """Take or renew the lease if it is free, expired, already ours or held by a dead predecessor.

    ``when``: further conditions on the lease row (a job is due); ``values``: further columns to set.
    """
    now = clock.now()
    fields: dict[str, Any] = {"holder": holder, "lease_until": now + timedelta(seconds=ttl), **(values or {})}
    free = or_(JobLease.holder.is_(None), JobLease.holder == holder, JobLease.lease_until < now)
    for _ in range(2):
        async with db.transaction() as session:
            result = await session.execute(
                update(JobLease).where(JobLease.job_name == name, free, *when).values(**fields)
            )
            if getattr(result, "rowcount", 0):
                return True
            row = (await session.execute(select(JobLease.holder).where(JobLease.job_name == name))).first()
            if row is not None:
                if not is_dead_predecessor(row[0], holder):
                    return False
                taken = await session.execute(
                    update(JobLease)
                    .where(JobLease.job_name == name, JobLease.holder == row[0], *when)
                    .values(**fields)
                )
                return bool(getattr(taken, "rowcount", 0))
            try:
                async with session.begin_nested():
                    session.add(JobLease(job_name=name, **fields))
                    await session.flush()
                return True
            except IntegrityError:
                continue
    return False


async def renew(db: Database, name: str, holder: str, ttl: float = TTL) -> bool:
    """Extend a lease we hold; False when it is no longer ours."""
    async with db.transaction() as session:
        result = await session.execute(
            update(JobLease)
            .where(JobLease.job_name == name, JobLease.holder == holder)
            .values(lease_until=clock.now() + timedelta(seconds=ttl))
        )
        return bool(getattr(result, "rowcount", 0))


async def release(db: Database, name: str, holder: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(JobLease)
            .where(JobLease.job_name == name, JobLease.holder == holder)
            .values(holder=None, lease_until=None)
        )


async def release_all(db: Database, holder: str) -> int:
    """Release every lease ``holder`` holds (clean shutdown). Returns how many."""
    async with db.transaction() as session:
        result = await session.execute(
            update(JobLease).where(JobLease.holder == holder).values(holder=None, lease_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


async def holder_of(db: Database, name: str) -> str | None:
    async with db.session() as session:
        row = await session.get(JobLease, name)
        if row is None or row.lease_until is None or row.lease_until < clock.now():
            return None
        return row.holder
