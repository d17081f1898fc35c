"""reward_sessions, reward_accruals, referral_commissions — SPEC §2.7, §2.8, §2.12."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade.db.base import Base, BigIntPK, created_at, enum_check, enum_column, pk, updated_at
from sigmatrade.db.types import Money, Rate, UTCDateTime
from sigmatrade.domain.enums import CommissionSkipReason, CommissionSource, CommissionStatus


class RewardSession(Base):
    __tablename__ = "reward_sessions"
    __table_args__ = (
        CheckConstraint("name <> ''", name="name_nonempty"),
        CheckConstraint("ends_at > starts_at", name="window_order"),
        CheckConstraint(
            "rate_level_1 >= 0 AND rate_level_2 >= 0 AND rate_level_3 >= 0 AND rate_level_4 >= 0 AND rate_level_5 >= 0",
            name="rates_nonnegative",
        ),
    )

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    rate_level_1: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    rate_level_2: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    rate_level_3: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    rate_level_4: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    rate_level_5: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    def rate_for(self, level: int) -> Decimal:
        rate: Decimal = getattr(self, f"rate_level_{level}")
        return rate


class RewardAccrual(Base):
    __tablename__ = "reward_accruals"
    __table_args__ = (
        CheckConstraint("period_index >= 0", name="period_nonnegative"),
        CheckConstraint("amount > 0", name="amount_positive"),
        # (deposit, period) unique: also every (deposit, session, period); 0004 dropped that index
        Index("uq_reward_accruals_deposit_period", "deposit_id", "period_index", unique=True),
        Index("ix_reward_accruals_user_created", "user_id", "created_at"),
        Index("ix_reward_accruals_session", "session_id"),
    )

    id: Mapped[int] = pk()
    deposit_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("deposits.id"), nullable=False)
    session_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("reward_sessions.id", ondelete="RESTRICT"), nullable=False
    )
    period_index: Mapped[int] = mapped_column(Integer, nullable=False)
    accrued_at_period_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    base_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    trimmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    journal_entry_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("journal_entries.id"), unique=True, nullable=False
    )
    created_at: Mapped[datetime] = created_at()


class ReferralCommission(Base):
    __tablename__ = "referral_commissions"
    __table_args__ = (
        enum_check("source_type", CommissionSource),
        enum_check("status", CommissionStatus),
        enum_check("skip_reason", CommissionSkipReason, nullable=True),
        CheckConstraint("depth BETWEEN 1 AND 3", name="depth_range"),
        CheckConstraint("(status = 'credited') = (journal_entry_id IS NOT NULL)", name="entry_iff_credited"),
        Index(
            "uq_referral_commissions_source_beneficiary",
            "source_type",
            "source_id",
            "beneficiary_user_id",
            unique=True,
        ),
        Index("ix_referral_commissions_beneficiary_created", "beneficiary_user_id", "created_at"),
    )

    id: Mapped[int] = pk()
    source_type: Mapped[str] = enum_column(CommissionSource)
    source_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payer_user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    beneficiary_user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False)
    depth: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    base_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = enum_column(CommissionStatus)
    skip_reason: Mapped[str | None] = enum_column(CommissionSkipReason, nullable=True)
    journal_entry_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = created_at()
