"""Financial password recovery (SPEC §3.8.2–§3.8.4).

* ``request``: one open request per user; creating it blocks earnings (``users.earnings_blocked``).
* ``take`` / ``decide``: the admin side (the admin UI calls these). Approval stores only the argon2id
  hash of a new finpass and delivers the plaintext once, straight to the user's chat after commit —
  never through the retry queue, so the plaintext is never written anywhere.
* ``confirm_new``: a successful check of the new password (``finpass.check`` owns that rule) completes
  the request and unblocks earnings. Rejection leaves earnings blocked (admins unblock on the user card).
* ``ask_again``: the password of a ``sent`` request never arrived (the user had blocked the bot, a network
  error) or was lost before it was confirmed: the user sends the request back to the queue (``pending``),
  and an admin approves it again with a new password. Without it the request stayed open for good, no
  new one could be made, and the earnings stayed blocked forever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import FinpassRecovery, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain.codes import new_finpass
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, crypto, finpass, limits
from sigmatrade.services.notifications import Content, deliver, notifier
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator, resolve_language
from sigmatrade.texts.render import code, strip_controls, truncate_plain

log = get_logger("sigmatrade.recovery")

OPEN = (RecoveryStatus.PENDING, RecoveryStatus.IN_REVIEW, RecoveryStatus.SENT)
DECIDABLE = (RecoveryStatus.PENDING, RecoveryStatus.IN_REVIEW)
MAX_NOTE = 1000


class RecoveryError(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


NOT_FOUND = "not_found"
NOT_OPEN = "not_open"
NOT_SENT = "not_sent"
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Overview:
    """What the Recover finpass screen shows."""

    request: FinpassRecovery | None  # the open request, if any
    earnings_blocked: bool


@dataclass(frozen=True)
class Requested:
    request: FinpassRecovery
    created: bool  # False: an open request already existed (its number is shown)


@dataclass(frozen=True)
class Decision:
    request: FinpassRecovery
    delivered: bool  # approval: the one-time password reached the chat; rejection: user notified


@dataclass(frozen=True)
class Confirmed:
    check: finpass.CheckResult
    request: FinpassRecovery | None = None  # set when the request was completed


# ------------------------------------------------------------------------------------------- reads
async def open_request(session: AsyncSession, user_id: int) -> FinpassRecovery | None:
    found: FinpassRecovery | None = await session.scalar(
        select(FinpassRecovery)
        .where(FinpassRecovery.user_id == user_id, FinpassRecovery.status.in_(OPEN))
        .execution_options(populate_existing=True)
    )
    return found


async def overview(session: AsyncSession, user: User) -> Overview:
    request = await open_request(session, user.id)
    fresh = await session.get(User, user.id, populate_existing=True)
    if session.in_transaction():
        await session.commit()
    return Overview(request, bool(fresh.earnings_blocked) if fresh else user.earnings_blocked)


def clean_note(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = strip_controls(text).strip()
    return cleaned[:MAX_NOTE] or None


# --------------------------------------------------------------------------------------- user side
async def request(session: AsyncSession, rt: Runtime, user: User, note: str | None) -> Requested:
    """Create the request (pending) and block earnings — or return the open one (§3.8.2)."""
    existing = await open_request(session, user.id)
    if existing is not None:
        if session.in_transaction():
            await session.commit()
        return Requested(existing, created=False)
    verdict = await limits.hit(rt, "finpass_recovery", user.telegram_id)
    if not verdict.allowed:
        if session.in_transaction():
            await session.commit()
        raise RecoveryError(RATE_LIMITED, wait=verdict.wait_seconds)
    note = clean_note(note)
    try:
        async with unit(session):
            row = FinpassRecovery(user_id=user.id, status=RecoveryStatus.PENDING, user_note=note)
            session.add(row)
            fresh = await session.get(
                User, user.id, with_for_update=is_postgres(session), populate_existing=True
            )
            assert fresh is not None
            before = fresh.earnings_blocked
            fresh.earnings_blocked = True
            await session.flush()
            await audit.log_user_action(
                session,
                user.id,
                user.telegram_id,
                "finpass_recovery_requested",
                target_type="finpass_recovery",
                target_id=row.id,
                before={"earnings_blocked": before},
                after={"earnings_blocked": True},
                details={"has_note": note is not None},
            )
    except IntegrityError:  # a concurrent request won the one-open-request index
        again = await open_request(session, user.id)
        if session.in_transaction():
            await session.commit()
        if again is None:
            raise
        return Requested(again, created=False)

    def build(t: Translator) -> Content:
        preview = truncate_plain(note, 300) if note else "—"
        return Content(
            t("fp.admin.new", id=row.id, user=display_name(user), tg=user.telegram_id, note=preview)
        )

    await notifier(rt).to_admins(build, category="finpass_recovery_admin")
    return Requested(row, created=True)


async def confirm_new(session: AsyncSession, rt: Runtime, user: User, typed: str) -> Confirmed:
    """The user types the password sent after approval; success completes the request (§3.8.4)."""
    async with unit(session):
        row = await open_request(session, user.id)
        if row is None or row.status != RecoveryStatus.SENT:
            raise RecoveryError(NOT_SENT)
        result = await finpass.check(session, rt.store, user.id, typed)
    return Confirmed(result, result.recovery_completed)


async def ask_again(session: AsyncSession, rt: Runtime, user: User) -> FinpassRecovery:
    """``sent`` → ``pending`` for the user's open request (rate-limited like a new request). The password
    that was sent stays the user's hash until the next approval replaces it; it confirms nothing
    meanwhile (confirmation needs ``sent``) and earnings stay blocked."""
    async with unit(session):
        row = await open_request(session, user.id)
        if row is None or row.status != RecoveryStatus.SENT:
            raise RecoveryError(NOT_SENT)
    verdict = await limits.hit(rt, "finpass_recovery", user.telegram_id)
    if not verdict.allowed:
        raise RecoveryError(RATE_LIMITED, wait=verdict.wait_seconds)
    async with unit(session):
        row = await session.get(
            FinpassRecovery, row.id, with_for_update=is_postgres(session), populate_existing=True
        )
        if row is None or row.status != RecoveryStatus.SENT:
            raise RecoveryError(NOT_SENT)
        row.status = RecoveryStatus.PENDING
        row.handled_by_admin_id = None
        row.updated_at = clock.now()
        await audit.log_user_action(
            session,
            user.id,
            user.telegram_id,
            "finpass_recovery_asked_again",
            target_type="finpass_recovery",
            target_id=row.id,
            before={"status": RecoveryStatus.SENT},
            after={"status": RecoveryStatus.PENDING},
        )

    def build(t: Translator) -> Content:
        return Content(t("fp.admin.again", id=row.id, user=display_name(user), tg=user.telegram_id))

    await notifier(rt).to_admins(build, category="finpass_recovery_admin")
    return row


# -------------------------------------------------------------------------------------- admin side
async def take(session: AsyncSession, request_id: int, admin_id: int) -> FinpassRecovery:
    """pending → in_review, handled by ``admin_id``."""
    async with unit(session):
        row = await session.get(
            FinpassRecovery, request_id, with_for_update=is_postgres(session), populate_existing=True
        )
        if row is None:
            raise RecoveryError(NOT_FOUND)
        if row.status != RecoveryStatus.PENDING:
            raise RecoveryError(NOT_OPEN, status=row.status)
        row.status = RecoveryStatus.IN_REVIEW
        row.handled_by_admin_id = admin_id
        row.handled_at = clock.now()
        await audit.log(
            session,
            audit.admin_actor(admin_id),
            "finpass_recovery_taken",
            target_type="finpass_recovery",
            target_id=row.id,
        )
    return row


async def decide(
    session: AsyncSession,
    rt: Runtime,
    request_id: int,
    admin_id: int,
    approve: bool,
    reason: str | None = None,
    *,
    confirm_markup: Callable[[Translator], InlineKeyboardMarkup] | None = None,
) -> Decision:
    """Approve (new finpass, hash stored, plaintext delivered once with ``confirm_markup``, the bot view's
    "confirm" button) or reject (user told) (§3.8.3)."""
    comment = clean_note(reason)
    plaintext: str | None = None
    async with unit(session):
        row = await session.get(
            FinpassRecovery, request_id, with_for_update=is_postgres(session), populate_existing=True
        )
        if row is None:
            raise RecoveryError(NOT_FOUND)
        if row.status not in DECIDABLE:
            raise RecoveryError(NOT_OPEN, status=row.status)
        user = await session.get(
            User, row.user_id, with_for_update=is_postgres(session), populate_existing=True
        )
        assert user is not None
        now = clock.now()
        before = row.status
        row.handled_by_admin_id = admin_id
        row.handled_at = now
        row.admin_comment = comment
        row.updated_at = now
        if approve:
            plaintext = new_finpass()
            user.finpass_hash = await crypto.hash_secret_off_loop(plaintext)  # off the loop
            user.finpass_updated_at = now
            user.finpass_failed_attempts = 0
            user.finpass_locked_until = None
            row.status = RecoveryStatus.SENT
        else:
            row.status = RecoveryStatus.REJECTED
        await audit.log(
            session,
            audit.admin_actor(admin_id),
            "finpass_recovery_approved" if approve else "finpass_recovery_rejected",
            target_type="finpass_recovery",
            target_id=row.id,
            before={"status": before},
            after={"status": row.status},
            details={"user_id": user.id, "comment": comment},
        )
    t = Translator(resolve_language(user.language, user.telegram_language_code, rt.config.default_language))
    if plaintext is not None:
        markup = confirm_markup(t) if confirm_markup is not None else None
        delivered = await _deliver_secret(rt, user, t, row.id, plaintext, markup)
        return Decision(row, delivered)

    def build(tr: Translator) -> Content:
        text = (
            tr("fp.user.rejected_comment", id=row.id, comment=comment)
            if comment
            else tr("fp.user.rejected", id=row.id)
        )
        return Content(text)

    result = await notifier(rt).to_user(user, build, category="finpass_recovery_rejected")
    return Decision(row, result.value == "sent")


async def _deliver_secret(
    rt: Runtime,
    user: User,
    t: Translator,
    request_id: int,
    plaintext: str,
    markup: InlineKeyboardMarkup | None,
) -> bool:
    """Send the new password once (with the "confirm" button the bot's view builds). No retry row: a
    failed delivery is logged without the secret."""
    content = Content(t("fp.user.approved", id=request_id, password=code(plaintext)), reply_markup=markup)
    bot = rt.bot
    if bot is None:
        log.warning("recovery_password_not_delivered", request_id=request_id, reason="no bot")
        return False
    try:
        await deliver(bot, user.telegram_id, content)
    except (TelegramAPIError, OSError, TimeoutError) as exc:
        log.warning("recovery_password_not_delivered", request_id=request_id, error=type(exc).__name__)
        return False
    return True
