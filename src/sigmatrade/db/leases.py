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

import functools
import hashlib
import os
import secrets
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, or_, select, update
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


TABLE = cast(Table, JobLease.__table__)  # Core statements (see ``acquire``)


@functools.cache
def _take(*, over: bool, due: bool, started: bool) -> Update:
    """Take the lease: when free, expired or already ours, or (``over``) from the exact holder seen;
    ``due``: only when the job is due; ``started``: record the job's start. Built once, bound per call
    (building the statement cost more than running it)."""
    if over:
        where = [TABLE.c.job_name == bindparam("lease"), TABLE.c.holder == bindparam("seen")]
    else:
        free = or_(
            TABLE.c.holder.is_(None),
            TABLE.c.holder == bindparam("me"),
            TABLE.c.lease_until < bindparam("now"),
        )
        where = [TABLE.c.job_name == bindparam("lease"), free]
    if due:
        where.append(or_(TABLE.c.next_run_at.is_(None), TABLE.c.next_run_at <= bindparam("now")))
    values: dict[str, Any] = {"holder": bindparam("me"), "lease_until": bindparam("until")}
    if started:
        values["last_started_at"] = bindparam("now")
    return update(TABLE).where(*where).values(values)


_RENEW = (
    update(TABLE)
    .where(TABLE.c.job_name == bindparam("lease"), TABLE.c.holder == bindparam("me"))
    .values(lease_until=bindparam("until"))
)
_RELEASE = (
    update(TABLE)
    .where(TABLE.c.job_name == bindparam("lease"), TABLE.c.holder == bindparam("me"))
    .values(holder=None, lease_until=None)
)
_HOLDER = select(TABLE.c.holder).where(TABLE.c.job_name == bindparam("lease"))


async def acquire(
    db: Database, name: str, holder: str, ttl: float = TTL, *, job: bool = False, force: bool = False
) -> bool:
    """Take or renew the lease if it is free, expired, already ours or held by a dead predecessor.

    ``job``: a job's claim: only when the job is due (unless ``force``), recording its start. Runs on a
    connection (Core): the ORM's bookkeeping around an UPDATE was most of a claim's cost.
    """
    now = clock.now()
    shape = {"due": job and not force, "started": job}
    params: dict[str, Any] = {"lease": name, "me": holder, "now": now, "until": now + timedelta(seconds=ttl)}
    for _ in range(2):
        async with db.engine.begin() as conn:
            if (await conn.execute(_take(over=False, **shape), params)).rowcount:
                return True
            row = (await conn.execute(_HOLDER, params)).first()
            if row is not None:
                if not is_dead_predecessor(row[0], holder):
                    return False
                taken = await conn.execute(_take(over=True, **shape), {**params, "seen": row[0]})
                return bool(taken.rowcount)
            fields = {"holder": holder, "lease_until": params["until"]}
            if job:
                fields["last_started_at"] = now
            try:
                async with conn.begin_nested():
                    await conn.execute(insert(TABLE).values(job_name=name, **fields))
                return True
            except IntegrityError:
                continue
    return False


async def renew(db: Database, name: str, holder: str, ttl: float = TTL) -> bool:
    """Extend a lease we hold; False when it is no longer ours."""
    params = {"lease": name, "me": holder, "until": clock.now() + timedelta(seconds=ttl)}
    async with db.engine.begin() as conn:
        return bool((await conn.execute(_RENEW, params)).rowcount)


async def release(db: Database, name: str, holder: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(_RELEASE, {"lease": name, "me": holder})


async def release_all(db: Database, holder: str) -> int:
    """Release every lease ``holder`` holds (clean shutdown). Returns how many."""
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(TABLE).where(TABLE.c.holder == holder).values(holder=None, lease_until=None)
        )
        return int(result.rowcount or 0)


async def holder_of(db: Database, name: str) -> str | None:
    async with db.session() as session:
        row = await session.get(JobLease, name)
        if row is None or row.lease_until is None or row.lease_until < clock.now():
            return None
        return row.holder
