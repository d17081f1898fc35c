"""Support tickets, user side (SPEC §3.10.1–§3.10.4): draft parts, create with auto-assignment,
follow-ups, close, thread and closed-ticket history.

A draft is a JSON-safe list of parts kept by the router in FSM data: ``{"text": str | None,
"att": {kind, file_id, file_unique_id, caption?, file_name?, mime_type?, file_size?} | None}``.
Notifications to admins go out after the transaction committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Admin, AdminSession, SupportMessage, SupportTicket, User
from sigmatrade.db.session import unit
from sigmatrade.domain.enums import ClosedBy, MessageSender, TicketCategory, TicketStatus
from sigmatrade.domain.paging import page_count
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, limits
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator, resolve_language
from sigmatrade.texts.render import strip_controls, truncate_plain

MAX_PARTS = 20
MAX_ATTACHMENTS = 10
MAX_TEXT = 4000
MAX_CAPTION = 1024
PAGE_SIZE = 5
CATEGORIES = tuple(c.value for c in TicketCategory)
ACTIVE = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ANSWERED)
MEDIA_KINDS = ("photo", "video", "voice", "audio", "document")

Part = dict[str, Any]


class SupportError(ValueError):
    """A refused support action; ``code`` selects the message, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


ACTIVE_EXISTS = "active_exists"
NOT_FOUND = "not_found"
NOT_ACTIVE = "not_active"
EMPTY = "empty"
TOO_MANY_PARTS = "too_many_parts"
TOO_MANY_ATTACHMENTS = "too_many_attachments"
TEXT_TOO_LONG = "text_too_long"
CAPTION_TOO_LONG = "caption_too_long"
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Sent:
    """Result of create / follow-up: the ticket and who was told about it."""

    ticket: SupportTicket
    assignee_telegram_id: int | None


@dataclass(frozen=True)
class Thread:
    ticket: SupportTicket
    messages: Sequence[SupportMessage]


@dataclass(frozen=True)
class TicketPage:
    items: Sequence[SupportTicket]
    page: int
    pages: int
    total: int


# ------------------------------------------------------------------------------------------ drafts
def counts(draft: Sequence[Part]) -> tuple[int, int]:
    """(parts, attachments) of a draft."""
    return len(draft), sum(1 for p in draft if p.get("att"))


def check_part(draft: Sequence[Part], part: Part) -> None:
    """Refuse a part that breaks a limit (§3.10.2) before it is added."""
    text = part.get("text")
    att = part.get("att")
    if not text and not att:
        raise SupportError(EMPTY)
    if text is not None and len(text) > MAX_TEXT:
        raise SupportError(TEXT_TOO_LONG, limit=MAX_TEXT, length=len(text))
    if att is not None and len(att.get("caption") or "") > MAX_CAPTION:
        raise SupportError(CAPTION_TOO_LONG, limit=MAX_CAPTION, length=len(att.get("caption") or ""))
    parts, attachments = counts(draft)
    if parts >= MAX_PARTS:
        raise SupportError(TOO_MANY_PARTS, limit=MAX_PARTS)
    if att is not None and attachments >= MAX_ATTACHMENTS:
        raise SupportError(TOO_MANY_ATTACHMENTS, limit=MAX_ATTACHMENTS)


async def add_part(rt: Runtime, telegram_id: int, draft: list[Part], part: Part) -> list[Part]:
    """Validate, count against the ``support_part`` limit (30/h) and return the longer draft."""
    check_part(draft, part)
    verdict = await limits.hit(rt, "support_part", telegram_id)
    if not verdict.allowed:
        raise SupportError(RATE_LIMITED, wait=verdict.wait_seconds)
    return [*draft, part]


def _rows(draft: Sequence[Part]) -> list[tuple[str | None, list[dict[str, Any]] | None]]:
    """Texts joined (split into ≤ 4000-char rows), attachments on the first row."""
    texts = [strip_controls(p["text"]) for p in draft if p.get("text")]
    attachments = [dict(p["att"]) for p in draft if p.get("att")]
    chunks: list[str] = []
    for text in texts:
        if chunks and len(chunks[-1]) + 2 + len(text) <= MAX_TEXT:
            chunks[-1] = f"{chunks[-1]}\n\n{text}"
        else:
            chunks.append(text[:MAX_TEXT])
    rows: list[tuple[str | None, list[dict[str, Any]] | None]] = [(c, None) for c in chunks] or [(None, None)]
    if attachments:
        rows[0] = (rows[0][0], attachments)
    return rows


def _add_messages(session: AsyncSession, ticket_id: int, draft: Sequence[Part]) -> None:
    for text, attachments in _rows(draft):
        session.add(
            SupportMessage(ticket_id=ticket_id, sender=MessageSender.USER, text=text, attachments=attachments)
        )


# ------------------------------------------------------------------------------------------- reads
async def active_ticket(session: AsyncSession, user_id: int) -> SupportTicket | None:
    ticket: SupportTicket | None = await session.scalar(
        select(SupportTicket).where(SupportTicket.user_id == user_id, SupportTicket.status.in_(ACTIVE))
    )
    return ticket


async def own_ticket(session: AsyncSession, user_id: int, ticket_id: int) -> SupportTicket | None:
    """The user's ticket, or None for a missing or foreign id (answered alike)."""
    ticket = await session.get(SupportTicket, ticket_id, populate_existing=True)
    return ticket if ticket is not None and ticket.user_id == user_id else None


async def thread(session: AsyncSession, user_id: int, ticket_id: int) -> Thread | None:
    ticket = await own_ticket(session, user_id, ticket_id)
    if ticket is None:
        return None
    messages = (
        await session.scalars(
            select(SupportMessage).where(SupportMessage.ticket_id == ticket.id).order_by(SupportMessage.id)
        )
    ).all()
    return Thread(ticket, messages)


async def history_page(session: AsyncSession, user_id: int, page: int) -> TicketPage:
    """Closed tickets, newest first, 5 per page (§3.10.4)."""
    where = (SupportTicket.user_id == user_id, SupportTicket.status == TicketStatus.CLOSED)
    total = int(await session.scalar(select(func.count(SupportTicket.id)).where(*where)) or 0)
    pages = page_count(total, PAGE_SIZE)
    page = 1 if page < 1 else min(page, pages)
    items = (
        await session.scalars(
            select(SupportTicket)
            .where(*where)
            .order_by(SupportTicket.closed_at.desc(), SupportTicket.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    return TicketPage(items, page, pages, total)


async def on_duty_admin(session: AsyncSession) -> Admin | None:
    """The admin whose live session has the most recent activity (all roles handle support, §5.9)."""
    now = clock.now()
    admin: Admin | None = await session.scalar(
        select(Admin)
        .join(AdminSession, AdminSession.admin_id == Admin.id)
        .where(
            Admin.removed_at.is_(None),
            AdminSession.revoked_at.is_(None),
            AdminSession.expires_at > now,
        )
        .order_by(AdminSession.last_activity_at.desc(), AdminSession.id.desc())
        .limit(1)
    )
    return admin


# ------------------------------------------------------------------------------------------ writes
async def ensure_can_open(session: AsyncSession, user: User) -> None:
    """Refuse a new ticket while another one is active (§3.10.1)."""
    existing = await active_ticket(session, user.id)
    if session.in_transaction():
        await session.commit()
    if existing is not None:
        raise SupportError(ACTIVE_EXISTS, ticket_id=existing.id)


async def create(
    session: AsyncSession, rt: Runtime, user: User, category: str, draft: Sequence[Part]
) -> Sent:
    """One transaction: ticket (open, or in_progress for the on-duty admin) + its messages + audit."""
    if category not in CATEGORIES:
        raise SupportError(NOT_FOUND)
    if not draft:
        raise SupportError(EMPTY)
    await ensure_can_open(session, user)
    verdict = await limits.hit(rt, "support_ticket", user.telegram_id)
    if not verdict.allowed:
        raise SupportError(RATE_LIMITED, wait=verdict.wait_seconds)
    now = clock.now()
    try:
        async with unit(session):
            admin = await on_duty_admin(session)
            ticket = SupportTicket(
                user_id=user.id,
                category=category,
                status=TicketStatus.IN_PROGRESS if admin else TicketStatus.OPEN,
                assigned_admin_id=admin.id if admin else None,
                last_user_message_at=now,
            )
            session.add(ticket)
            await session.flush()
            _add_messages(session, ticket.id, draft)
            await audit.log_user_action(
                session,
                user.id,
                user.telegram_id,
                "ticket_created",
                target_type="support_ticket",
                target_id=ticket.id,
                details={
                    "category": category,
                    "parts": len(draft),
                    "assigned_admin_id": ticket.assigned_admin_id,
                },
            )
            assignee = admin.telegram_id if admin else None
    except IntegrityError:  # a concurrent create won the one-active-ticket index
        existing = await active_ticket(session, user.id)
        raise SupportError(ACTIVE_EXISTS, ticket_id=existing.id if existing else 0) from None
    await _notify_admins(rt, user, ticket, draft, assignee, follow_up=False)
    return Sent(ticket, assignee)


async def follow_up(
    session: AsyncSession, rt: Runtime, user: User, ticket_id: int, draft: Sequence[Part]
) -> Sent:
    """Append parts to the user's active ticket; an answered ticket goes back to in_progress/open."""
    if not draft:
        raise SupportError(EMPTY)
    now = clock.now()
    async with unit(session):
        ticket = await own_ticket(session, user.id, ticket_id)
        if ticket is None:
            raise SupportError(NOT_FOUND)
        if ticket.status not in ACTIVE:
            raise SupportError(NOT_ACTIVE, ticket_id=ticket.id)
        if ticket.status == TicketStatus.ANSWERED:
            ticket.status = TicketStatus.IN_PROGRESS if ticket.assigned_admin_id else TicketStatus.OPEN
        ticket.last_user_message_at = now
        ticket.updated_at = now
        _add_messages(session, ticket.id, draft)
        assignee: int | None = None
        if ticket.assigned_admin_id is not None:
            admin = await session.get(Admin, ticket.assigned_admin_id)
            assignee = admin.telegram_id if admin is not None and admin.removed_at is None else None
    await _notify_admins(rt, user, ticket, draft, assignee, follow_up=True)
    return Sent(ticket, assignee)


async def close(session: AsyncSession, user: User, ticket_id: int) -> SupportTicket:
    """User closes their active ticket (conditional update: a double tap closes once)."""
    now = clock.now()
    async with unit(session):
        ticket = await own_ticket(session, user.id, ticket_id)
        if ticket is None:
            raise SupportError(NOT_FOUND)
        result = await session.execute(
            update(SupportTicket)
            .where(SupportTicket.id == ticket.id, SupportTicket.status.in_(ACTIVE))
            .values(status=TicketStatus.CLOSED, closed_at=now, closed_by=ClosedBy.USER, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise SupportError(NOT_ACTIVE, ticket_id=ticket.id)
        await audit.log_user_action(
            session,
            user.id,
            user.telegram_id,
            "ticket_closed",
            target_type="support_ticket",
            target_id=ticket.id,
        )
    closed = await own_ticket(session, user.id, ticket_id)
    if session.in_transaction():
        await session.commit()
    assert closed is not None
    return closed


# ---------------------------------------------------------------------------------- notifications
def first_lines(draft: Sequence[Part], limit: int = 300) -> str:
    texts = [p.get("text") or (p.get("att") or {}).get("caption") or "" for p in draft]
    joined = "\n".join(t for t in texts if t)
    return truncate_plain(joined, limit)


async def _notify_admins(
    rt: Runtime,
    user: User,
    ticket: SupportTicket,
    draft: Sequence[Part],
    assignee: int | None,
    *,
    follow_up: bool,
) -> None:
    """After commit: the assignee, or every admin when nobody is on duty (§3.10.3, §8.1)."""
    _, attachments = counts(draft)
    key = "sup.admin.followup" if follow_up else "sup.admin.new"

    def build(t: Translator) -> Content:
        return Content(
            t(
                key,
                id=ticket.id,
                user=display_name(user),
                tg=user.telegram_id,
                category=t.raw(f"sup.cat.{ticket.category}"),
                attachments=attachments,
                preview=first_lines(draft) or "—",
            )
        )

    if assignee is not None:
        admin_user = await _user_by_tg(rt, assignee)
        lang = resolve_language(
            admin_user.language if admin_user else None,
            admin_user.telegram_language_code if admin_user else None,
            rt.config.default_language,
        )
        await notifier(rt).send(assignee, build(Translator(lang)), category="support_admin", critical=True)
    else:
        await notifier(rt).to_admins(build, category="support_admin")


async def _user_by_tg(rt: Runtime, telegram_id: int) -> User | None:
    async with rt.db.session() as session:
        found: User | None = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        return found
