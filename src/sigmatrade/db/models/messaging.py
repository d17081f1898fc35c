"""support tickets/messages, failed notifications, broadcasts — SPEC §2.23, §2.24, §2.29–§2.31."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade.db.base import Base, BigIntPK, created_at, enum_check, enum_column, pk, updated_at, where
from sigmatrade.db.types import UTCDateTime
from sigmatrade.domain.enums import (
    BroadcastAudience,
    BroadcastStatus,
    ClosedBy,
    ContentKind,
    DeliveryStatus,
    MessageSender,
    NotificationStatus,
    TicketCategory,
    TicketStatus,
)


class SupportTicket(Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        enum_check("category", TicketCategory),
        enum_check("status", TicketStatus),
        enum_check("closed_by", ClosedBy, nullable=True),
        Index(
            "uq_support_tickets_active_user",
            "user_id",
            unique=True,
            **where("status IN ('open', 'in_progress', 'answered')"),
        ),
        Index("ix_support_tickets_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    category: Mapped[str] = enum_column(TicketCategory)
    status: Mapped[str] = enum_column(TicketStatus, default=TicketStatus.OPEN)
    assigned_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    last_user_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_admin_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = enum_column(ClosedBy, nullable=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SupportMessage(Base):
    __tablename__ = "support_messages"
    __table_args__ = (
        enum_check("sender", MessageSender),
        CheckConstraint("text IS NOT NULL OR attachments IS NOT NULL", name="has_content"),
        CheckConstraint("text IS NULL OR length(text) <= 4000", name="text_length"),
        Index("ix_support_messages_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("support_tickets.id"), nullable=False)
    sender: Mapped[str] = enum_column(MessageSender)
    admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    text: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at()


class FailedNotification(Base):
    __tablename__ = "failed_notifications"
    __table_args__ = (
        enum_check("kind", ContentKind),
        enum_check("status", NotificationStatus),
        Index("ix_failed_notifications_status_next", "status", "next_retry_at"),
    )

    id: Mapped[int] = pk()
    telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    kind: Mapped[str] = enum_column(ContentKind)
    category: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    critical: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = enum_column(NotificationStatus, default=NotificationStatus.PENDING)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (
        enum_check("content_kind", ContentKind),
        enum_check("audience", BroadcastAudience),
        enum_check("status", BroadcastStatus),
        Index("ix_broadcasts_creator_created", "created_by_admin_id", "created_at"),
    )

    id: Mapped[int] = pk()
    created_by_admin_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("admins.id"), nullable=False)
    content_kind: Mapped[str] = enum_column(ContentKind)
    text: Mapped[str | None] = mapped_column(Text)
    entities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    file_id: Mapped[str | None] = mapped_column(String(255))
    button_text: Mapped[str | None] = mapped_column(String(64))
    button_url: Mapped[str | None] = mapped_column(String(512))
    audience: Mapped[str] = enum_column(BroadcastAudience, default=BroadcastAudience.ALL)
    status: Mapped[str] = enum_column(BroadcastStatus, default=BroadcastStatus.QUEUED)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    created_at: Mapped[datetime] = created_at()


class BroadcastDelivery(Base):
    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        enum_check("status", DeliveryStatus),
        Index("uq_broadcast_deliveries_broadcast_user", "broadcast_id", "user_id", unique=True),
        Index("ix_broadcast_deliveries_broadcast_status_id", "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = pk()
    broadcast_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("broadcasts.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = enum_column(DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
