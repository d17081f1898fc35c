"""users, referrals (closure table), blacklist — SPEC §2.1, §2.2, §2.22."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade.db.base import Base, BigIntPK, created_at, pk, updated_at, where
from sigmatrade.db.types import UTCDateTime


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("referrer_id IS NULL OR referrer_id <> id", name="referrer_not_self"),
        CheckConstraint("language IS NULL OR language IN ('ru', 'en')", name="language_enum"),
        Index("ix_users_earnings_blocked", "earnings_blocked", **where("earnings_blocked = true")),
    )

    id: Mapped[int] = pk()
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    username: Mapped[str | None] = mapped_column(String(64))
    username_lc: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(2))
    telegram_language_code: Mapped[str | None] = mapped_column(String(16))
    wallet_address: Mapped[str] = mapped_column(String(42), nullable=False)
    wallet_address_lc: Mapped[str] = mapped_column(String(42), unique=True, nullable=False)
    referral_code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    referrer_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"), index=True)
    finpass_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    finpass_failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finpass_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finpass_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    email_enc: Mapped[str | None] = mapped_column(Text)
    is_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_banned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ban_reason: Mapped[str | None] = mapped_column(Text)
    banned_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    earnings_blocked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_unreachable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accrual_notifications: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("depth BETWEEN 1 AND 3", name="depth_range"),
        CheckConstraint("ancestor_id <> descendant_id", name="not_self"),
        Index("uq_referrals_ancestor_descendant", "ancestor_id", "descendant_id", unique=True),
        Index("uq_referrals_descendant_depth", "descendant_id", "depth", unique=True),
        Index("ix_referrals_ancestor_depth", "ancestor_id", "depth"),
    )

    id: Mapped[int] = pk()
    ancestor_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    descendant_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    depth: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    created_at: Mapped[datetime] = created_at()


class Blacklist(Base):
    __tablename__ = "blacklist"
    __table_args__ = (
        CheckConstraint("telegram_id IS NOT NULL OR wallet_address_lc IS NOT NULL", name="has_target"),
    )

    id: Mapped[int] = pk()
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    wallet_address_lc: Mapped[str | None] = mapped_column(String(42), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    created_at: Mapped[datetime] = created_at()
