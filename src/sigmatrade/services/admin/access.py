"""Admin login, sessions and lockout (SPEC §5.7.3–§5.7.4).

* ``login``: master key (argon2id, verified off the event loop and outside the transaction) →
  all other sessions revoked, a new 1-hour sliding session, counter reset. 3 consecutive failures lock
  the admin for 15 minutes (settings ``admin.login_max_attempts`` / ``admin.login_lockout_minutes``);
  the transition into the lock is reported once (``LoginResult.alert``) so the caller alerts the super
  admins after the commit. During the lockout nothing is verified or counted.
* ``is_live``: the one rule of a live session; ``live_session`` reads and slides it (the gate's check;
  the user middleware usually loads it with the admin row and the gate only calls ``slide``).
* ``logout``, ``revoke_all``: sessions end with a reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import BindParameter, ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Admin, AdminSession
from sigmatrade.db.session import begin_read, is_postgres, unit
from sigmatrade.domain.codes import looks_like_master_key, normalise_master_key
from sigmatrade.domain.enums import SessionRevokeReason
from sigmatrade.services import audit, crypto
from sigmatrade.services.settings import SettingsStore

# A session's last activity is written at most this often: the sliding expiry is exact to this much,
# and a burst of admin updates costs one write, not one per update.
TOUCH_EVERY = timedelta(seconds=30)


class LoginOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # wrong key, attempts left
    LOCKED = "locked"  # locked now (this attempt) or still locked
    NO_KEY = "no_key"  # no master key set: ask a super admin / the operator
    MALFORMED = "malformed"  # not shaped like a key: refused, not counted
    GONE = "gone"  # the admin row was removed meanwhile


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    attempts_left: int = 0
    locked_until: datetime | None = None
    session: AdminSession | None = None
    alert: bool = False  # this attempt locked the admin: alert the super admins (after commit)


def is_locked(admin: Admin, now: datetime | None = None) -> bool:
    return admin.locked_until is not None and admin.locked_until > (now or clock.now())


def actor(admin: Admin) -> audit.Actor:
    return audit.admin_actor(admin.id, admin.telegram_id)


async def session_minutes(store: SettingsStore) -> int:
    return int(await store.get("admin.session_minutes"))


def is_live(now: datetime | BindParameter[datetime]) -> list[ColumnElement[bool]]:
    """The one rule of a live session: not revoked and not expired at ``now`` (every read uses it)."""
    return [AdminSession.revoked_at.is_(None), AdminSession.expires_at > now]


async def live_session(session: AsyncSession, store: SettingsStore, admin_id: int) -> AdminSession | None:
    """The admin's live session, slid forward (last activity = now, expiry = now + session minutes)."""
    await begin_read(session)
    live = await session.scalar(
        select(AdminSession)
        .where(AdminSession.admin_id == admin_id, *is_live(clock.now()))
        .order_by(AdminSession.id.desc())
        .limit(1)
    )
    await session.commit()
    if live is not None:
        session.expunge(live)
    return await slide(session, store, live)


async def slide(
    session: AsyncSession, store: SettingsStore, live: AdminSession | None
) -> AdminSession | None:
    """Slide a live session read a moment ago (detached): its last activity is written at most every
    ``TOUCH_EVERY``. None when there is none, or it was revoked meanwhile (logout, removal, new login)."""
    if live is None:
        return None
    now = clock.now()
    if live.expires_at <= now:
        return None
    if now - live.last_activity_at >= TOUCH_EVERY:
        expires = now + timedelta(minutes=await session_minutes(store))
        async with unit(session):
            # Conditional: a session revoked meanwhile stays revoked.
            moved = await session.execute(
                update(AdminSession)
                .where(AdminSession.id == live.id, AdminSession.revoked_at.is_(None))
                .values(last_activity_at=now, expires_at=expires)
            )
        if moved.rowcount == 0:  # type: ignore[attr-defined]
            return None
        live.last_activity_at, live.expires_at = now, expires
    return live


async def revoke_all(session: AsyncSession, admin_id: int, reason: SessionRevokeReason) -> int:
    """Inside the caller's unit: end every unrevoked session (expired ones are marked ``expired``)."""
    now = clock.now()
    await session.execute(
        update(AdminSession)
        .where(
            AdminSession.admin_id == admin_id,
            AdminSession.revoked_at.is_(None),
            AdminSession.expires_at <= now,
        )
        .values(revoked_at=now, revoke_reason=SessionRevokeReason.EXPIRED)
    )
    result = await session.execute(
        update(AdminSession)
        .where(AdminSession.admin_id == admin_id, AdminSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def login(session: AsyncSession, store: SettingsStore, admin_id: int, typed: str) -> LoginResult:
    """One login attempt with the typed text (already deleted from the chat by the caller)."""
    await begin_read(session)
    admin = await session.get(Admin, admin_id, populate_existing=True)
    await session.commit()
    if admin is None or admin.removed_at is not None:
        return LoginResult(LoginOutcome.GONE)
    if is_locked(admin):
        return LoginResult(LoginOutcome.LOCKED, locked_until=admin.locked_until)
    if admin.master_key_hash is None:
        return LoginResult(LoginOutcome.NO_KEY)
    max_attempts = int(await store.get("admin.login_max_attempts"))
    if not looks_like_master_key(typed):
        return LoginResult(LoginOutcome.MALFORMED, max(0, max_attempts - admin.failed_login_attempts))
    key = normalise_master_key(typed)
    checked_hash = admin.master_key_hash
    matches = await asyncio.to_thread(crypto.verify_secret, checked_hash, key)
    # A hash made with older argon2 parameters is replaced on a successful login (hashed before the
    # row lock is taken; kept only if the key was not reset meanwhile).
    rehashed = (
        await crypto.hash_secret_off_loop(key) if matches and crypto.needs_rehash(checked_hash) else None
    )
    lockout = timedelta(minutes=int(await store.get("admin.login_lockout_minutes")))
    minutes = await session_minutes(store)
    async with unit(session):
        row = await session.get(Admin, admin_id, with_for_update=is_postgres(session), populate_existing=True)
        assert row is not None
        now = clock.now()
        if row.removed_at is not None:
            return LoginResult(LoginOutcome.GONE)
        if is_locked(row, now):  # another attempt locked it meanwhile
            return LoginResult(LoginOutcome.LOCKED, locked_until=row.locked_until)
        if row.master_key_hash != checked_hash:  # key reset meanwhile: check against the new one
            matches = row.master_key_hash is not None and crypto.verify_secret(row.master_key_hash, key)
        if matches:
            if rehashed is not None and row.master_key_hash == checked_hash:
                row.master_key_hash = rehashed
            return await _open(session, row, now, minutes)
        row.failed_login_attempts += 1
        row.updated_at = now
        await audit.log(
            session,
            actor(row),
            "admin_login_failed",
            target_type="admin",
            target_id=row.id,
            details={"attempt": row.failed_login_attempts},
        )
        if row.failed_login_attempts < max_attempts:
            return LoginResult(LoginOutcome.WRONG, max_attempts - row.failed_login_attempts)
        before = {"locked_until": None, "failed_login_attempts": row.failed_login_attempts}
        row.locked_until = now + lockout
        row.failed_login_attempts = 0
        await audit.log(
            session,
            actor(row),
            "admin_locked",
            target_type="admin",
            target_id=row.id,
            before=before,
            after={"locked_until": row.locked_until, "failed_login_attempts": 0},
        )
        return LoginResult(LoginOutcome.LOCKED, locked_until=row.locked_until, alert=True)


async def _open(session: AsyncSession, admin: Admin, now: datetime, minutes: int) -> LoginResult:
    revoked = await revoke_all(session, admin.id, SessionRevokeReason.NEW_LOGIN)
    live = AdminSession(admin_id=admin.id, last_activity_at=now, expires_at=now + timedelta(minutes=minutes))
    session.add(live)
    admin.failed_login_attempts = 0
    admin.locked_until = None
    admin.last_login_at = now
    admin.updated_at = now
    await session.flush()
    await audit.log(
        session,
        actor(admin),
        "admin_login",
        target_type="admin_session",
        target_id=live.id,
        details={"revoked_sessions": revoked, "expires_at": live.expires_at},
    )
    return LoginResult(LoginOutcome.OK, session=live)


async def logout(session: AsyncSession, admin: Admin) -> int:
    async with unit(session):
        revoked = await revoke_all(session, admin.id, SessionRevokeReason.LOGOUT)
        await audit.log(
            session,
            actor(admin),
            "admin_logout",
            target_type="admin",
            target_id=admin.id,
            details={"revoked_sessions": revoked},
        )
    return revoked


async def fresh(session: AsyncSession, admin_id: int) -> Admin | None:
    """The admin row as it is now (lock, key, attempts), detached, for the login prompt."""
    await begin_read(session)
    admin = await session.get(Admin, admin_id, populate_existing=True)
    await session.commit()
    if admin is not None:
        session.expunge(admin)
    return admin
