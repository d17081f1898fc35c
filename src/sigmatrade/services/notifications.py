"""Notification service (SPEC §8.1–§8.2): send after commit, never raise to callers.

* ``send`` delivers text or media (by file_id) and returns SENT / QUEUED / UNREACHABLE / SKIPPED.
* "blocked by the user", "user is deactivated", "chat not found" -> the user is marked unreachable
  and a row with status ``unreachable`` is kept (no retries); unreachable users are skipped until they
  write again (the user-loading middleware clears the flag).
* Any other failure stores the full request in ``failed_notifications`` (retried by the
  notification_retry job at 1 min, 5 min, 15 min, 1 h, 2 h).
* 429 is not a failure: the bot session waits ``retry_after`` and retries the same request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, MessageEntity
from sqlalchemy import select, update

from sigmatrade import clock, metrics
from sigmatrade.db.models import Admin, FailedNotification, User
from sigmatrade.domain.enums import ROLE_RANK, AdminRole, ContentKind, NotificationStatus
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.texts.i18n import Translator, resolve_language

log = get_logger("sigmatrade.notifications")
UNREACHABLE_MARKERS = (
    "bot was blocked by the user",
    "user is deactivated",
    "chat not found",
    "bot can't initiate conversation",
)
ADMIN_ALERT = "admin_alert"


class NotifyResult(StrEnum):
    SENT = "sent"
    QUEUED = "queued"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"


@dataclass
class Content:
    """One message: text (or caption) and/or one media by file_id, optional inline keyboard."""

    text: str | None = None
    kind: ContentKind = ContentKind.TEXT
    file_id: str | None = None
    parse_mode: str | None = "HTML"  # None: relayed content with its own entities
    entities: list[dict[str, Any]] | None = None
    reply_markup: InlineKeyboardMarkup | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": str(self.kind),
            "file_id": self.file_id,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup.model_dump(exclude_none=True) if self.reply_markup else None,
            "disable_preview": True,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Content:
        markup = data.get("reply_markup")
        return cls(
            text=data.get("text"),
            kind=ContentKind(data.get("kind", "text")),
            file_id=data.get("file_id"),
            parse_mode=data.get("parse_mode"),
            entities=data.get("entities"),
            reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None,
        )


async def deliver(bot: Bot, chat_id: int, content: Content) -> int:
    """Send ``content`` as the right Bot API method; returns the message id. Raises Telegram errors."""
    entities = [MessageEntity.model_validate(e) for e in content.entities] if content.entities else None
    markup = content.reply_markup
    if content.kind == ContentKind.TEXT:
        msg = await bot.send_message(
            chat_id,
            content.text or "",
            parse_mode=content.parse_mode,
            entities=entities,
            reply_markup=markup,
        )
        return msg.message_id
    common: dict[str, Any] = {
        "caption": content.text,
        "parse_mode": content.parse_mode,
        "caption_entities": entities,
        "reply_markup": markup,
    }
    senders: dict[ContentKind, Callable[..., Any]] = {
        ContentKind.PHOTO: lambda: bot.send_photo(chat_id, photo=content.file_id, **common),  # type: ignore[arg-type]
        ContentKind.VIDEO: lambda: bot.send_video(chat_id, video=content.file_id, **common),  # type: ignore[arg-type]
        ContentKind.VOICE: lambda: bot.send_voice(chat_id, voice=content.file_id, **common),  # type: ignore[arg-type]
        ContentKind.AUDIO: lambda: bot.send_audio(chat_id, audio=content.file_id, **common),  # type: ignore[arg-type]
        ContentKind.DOCUMENT: lambda: bot.send_document(chat_id, document=content.file_id, **common),  # type: ignore[arg-type]
    }
    msg = await senders[content.kind]()
    return int(msg.message_id)


def is_unreachable_error(exc: Exception) -> bool:
    text = str(getattr(exc, "message", exc)).lower()
    return isinstance(exc, TelegramForbiddenError | TelegramBadRequest) and any(
        m in text for m in UNREACHABLE_MARKERS
    )


@dataclass
class Notifier:
    rt: Runtime
    sent: list[tuple[int, str]] = field(default_factory=list)  # (telegram_id, category), for diagnostics

    async def _user(self, telegram_id: int) -> User | None:
        async with self.rt.db.session() as session:
            return await session.scalar(select(User).where(User.telegram_id == telegram_id))

    async def send(
        self,
        telegram_id: int,
        content: Content,
        *,
        category: str,
        user_id: int | None = None,
        critical: bool = False,
    ) -> NotifyResult:
        user = await self._user(telegram_id)
        if user is not None:
            user_id = user.id
            if user.is_unreachable:
                await self._record(
                    telegram_id,
                    user_id,
                    content,
                    category,
                    critical,
                    NotificationStatus.UNREACHABLE,
                    "user unreachable",
                )
                return NotifyResult.UNREACHABLE
        bot = self.rt.bot
        if bot is None:
            await self._record(
                telegram_id,
                user_id,
                content,
                category,
                critical,
                NotificationStatus.PENDING,
                "no bot in this process",
            )
            return NotifyResult.QUEUED
        try:
            await deliver(bot, telegram_id, content)
        except (TelegramAPIError, OSError, TimeoutError) as exc:
            metrics.notifications_failed.labels(kind=str(content.kind), category=category).inc()
            if isinstance(exc, TelegramAPIError) and is_unreachable_error(exc):
                await self.mark_unreachable(telegram_id)
                await self._record(
                    telegram_id,
                    user_id,
                    content,
                    category,
                    critical,
                    NotificationStatus.UNREACHABLE,
                    str(exc),
                )
                return NotifyResult.UNREACHABLE
            log.warning(
                "notification_failed", category=category, telegram_id=telegram_id, error=str(exc)[:200]
            )
            await self._record(
                telegram_id, user_id, content, category, critical, NotificationStatus.PENDING, str(exc)
            )
            return NotifyResult.QUEUED
        metrics.notifications_sent.labels(kind=str(content.kind)).inc()
        self.sent.append((telegram_id, category))
        return NotifyResult.SENT

    async def to_user(
        self, user: User, build: Callable[[Translator], Content], *, category: str, critical: bool = False
    ) -> NotifyResult:
        t = Translator(
            resolve_language(user.language, user.telegram_language_code, self.rt.config.default_language)
        )
        return await self.send(
            user.telegram_id, build(t), category=category, user_id=user.id, critical=critical
        )

    async def to_admins(
        self,
        build: Callable[[Translator], Content],
        *,
        category: str = ADMIN_ALERT,
        min_role: AdminRole = AdminRole.ADMIN,
        dedupe_key: str | None = None,
        dedupe_seconds: float = 3600,
    ) -> int:
        """Alert every non-removed admin (of at least ``min_role``) in their language. Returns how many."""
        if dedupe_key is not None and not await self.rt.counter.once(f"alert:{dedupe_key}", dedupe_seconds):
            return 0
        async with self.rt.db.session() as session:
            admins = (await session.scalars(select(Admin).where(Admin.removed_at.is_(None)))).all()
            users = {
                u.telegram_id: u
                for u in (
                    await session.scalars(
                        select(User).where(User.telegram_id.in_([a.telegram_id for a in admins]))
                    )
                ).all()
            }
        count = 0
        for admin in admins:
            if ROLE_RANK[AdminRole(admin.role)] < ROLE_RANK[min_role]:
                continue
            as_user = users.get(admin.telegram_id)
            lang = resolve_language(
                as_user.language if as_user else None,
                as_user.telegram_language_code if as_user else None,
                self.rt.config.default_language,
            )
            await self.send(admin.telegram_id, build(Translator(lang)), category=category, critical=True)
            count += 1
        return count

    async def mark_unreachable(self, telegram_id: int) -> None:
        async with self.rt.db.transaction() as session:
            await session.execute(
                update(User)
                .where(User.telegram_id == telegram_id, User.is_unreachable.is_(False))
                .values(is_unreachable=True, unreachable_since=clock.now())
            )

    async def _record(
        self,
        telegram_id: int,
        user_id: int | None,
        content: Content,
        category: str,
        critical: bool,
        status: NotificationStatus,
        error: str,
    ) -> None:
        delays = list(await self.rt.store.get("notifications.retry_delays_seconds"))
        now = clock.now()
        async with self.rt.db.transaction() as session:
            session.add(
                FailedNotification(
                    telegram_id=telegram_id,
                    user_id=user_id,
                    kind=content.kind,
                    category=category,
                    payload=content.payload(),
                    critical=critical,
                    attempt_count=0,
                    status=status,
                    next_retry_at=now + timedelta(seconds=delays[0])
                    if status == NotificationStatus.PENDING
                    else None,
                    last_attempt_at=now,
                    last_error=error[:1000],
                    resolved_at=now if status != NotificationStatus.PENDING else None,
                )
            )


def notifier(rt: Runtime) -> Notifier:
    """The notifier over this runtime (stateless: everything it keeps is in the database)."""
    return Notifier(rt)
