"""admins, admin_sessions, finpass_recoveries, system_settings, audit_log — SPEC §2.19–§2.21, §2.25, §2.28."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade.db.base import Base, BigIntPK, created_at, enum_check, enum_column, pk, updated_at, where
from sigmatrade.db.types import Money, UTCDateTime
from sigmatrade.domain.enums import ActorType, AdminCreatedVia, AdminRole, RecoveryStatus, SessionRevokeReason


class Admin(Base):
    __tablename__ = "admins"
    __table_args__ = (enum_check("role", AdminRole), enum_check("created_via", AdminCreatedVia))

    id: Mapped[int] = pk()
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = enum_column(AdminRole)
    master_key_hash: Mapped[str | None] = mapped_column(String(255))
    failed_login_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    created_via: Mapped[str] = enum_column(AdminCreatedVia)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AdminSession(Base):
    __tablename__ = "admin_sessions"
    __table_args__ = (
        enum_check("revoke_reason", SessionRevokeReason, nullable=True),
        Index("ix_admin_sessions_admin_live", "admin_id", "expires_at", **where("revoked_at IS NULL")),
    )

    id: Mapped[int] = pk()
    admin_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("admins.id"), nullable=False)
    created_at: Mapped[datetime] = created_at()
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))


class FinpassRecovery(Base):
    __tablename__ = "finpass_recoveries"
    __table_args__ = (
        enum_check("status", RecoveryStatus),
        Index(
            "uq_finpass_recoveries_open_user",
            "user_id",
            unique=True,
            **where("status IN ('pending', 'in_review', 'sent')"),
        ),
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = enum_column(RecoveryStatus, default=RecoveryStatus.PENDING)
    user_note: Mapped[str | None] = mapped_column(Text)
    handled_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admin_comment: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SystemSetting(Base):
    __tablename__ = "system_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = updated_at()
    updated_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        enum_check("actor_type", ActorType),
        Index("ix_audit_log_action", "action"),
        Index("ix_audit_log_actor", "actor_type", "actor_id"),
    )

    id: Mapped[int] = pk()
    created_at: Mapped[datetime] = created_at()
    request_id: Mapped[str | None] = mapped_column(String(40))
    actor_type: Mapped[str] = enum_column(ActorType)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    details: Mapped[Any | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
