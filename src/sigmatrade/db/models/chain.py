"""deposits, chain_transfers, unmatched_deposits, chain_cursors — SPEC §2.3–§2.6."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade.db.base import (
    Base,
    BigIntPK,
    created_at,
    enum_check,
    enum_column,
    pg_only,
    pk,
    updated_at,
    where,
)
from sigmatrade.db.types import Money, Uint256, UTCDateTime
from sigmatrade.domain.enums import (
    ConfirmationStatus,
    DepositSource,
    DepositStatus,
    MatchStatus,
    UnmatchedReason,
    UnmatchedStatus,
)


class Deposit(Base):
    __tablename__ = "deposits"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        enum_check("status", DepositStatus),
        enum_check("source", DepositSource),
        CheckConstraint("accrued_total >= 0", name="accrued_nonnegative"),
        CheckConstraint("amount > 0", name="amount_positive"),
        pg_only(
            CheckConstraint("cap_amount IS NULL OR accrued_total <= cap_amount", name="accrued_within_cap")
        ),
        Index("uq_deposits_transfer", "transfer_id", unique=True, **where("transfer_id IS NOT NULL")),
        Index(
            "uq_deposits_open_level",
            "user_id",
            "level",
            unique=True,
            **where("status IN ('pending', 'detected')"),
        ),
        Index(
            "uq_deposits_active_level1",
            "user_id",
            unique=True,
            **where("level = 1 AND status IN ('pending', 'detected', 'confirmed')"),
        ),
        Index(
            "uq_deposits_once_level2plus",
            "user_id",
            "level",
            unique=True,
            **where("level >= 2 AND status IN ('confirmed', 'completed')"),
        ),
        Index("ix_deposits_status_expires", "status", "expires_at"),
        Index("ix_deposits_user_status", "user_id", "status"),
        Index("ix_deposits_status_level_confirmed", "status", "level", "confirmed_at"),
        # room on each page for the row's next version: accrual updates stay HOT (migration 0004)
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("users.id"), nullable=False, index=True)
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    cap_amount: Mapped[Decimal | None] = mapped_column(Money)
    amount_tag: Mapped[Decimal | None] = mapped_column(Money)  # finding 12: pay amount + tag exactly
    status: Mapped[str] = enum_column(DepositStatus, default=DepositStatus.PENDING)
    source: Mapped[str] = enum_column(DepositSource, default=DepositSource.USER)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    transfer_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("chain_transfers.id"))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    received_amount: Mapped[Decimal | None] = mapped_column(Money)
    accrued_total: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    accrual_period_seconds: Mapped[int | None] = mapped_column(Integer)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    @property
    def expected_amount(self) -> Decimal:
        """What the user must send: the level amount plus its amount tag, if any."""
        return self.amount + (self.amount_tag or 0)


class ChainTransfer(Base):
    __tablename__ = "chain_transfers"
    __table_args__ = (
        enum_check("match_status", MatchStatus),
        enum_check("unmatched_reason", UnmatchedReason, nullable=True),
        enum_check("confirmation_status", ConfirmationStatus),
        Index("uq_chain_transfers_identity", "transfer_key", unique=True),
        Index("ix_chain_transfers_tx", "chain_id", "tx_hash"),
        Index("ix_chain_transfers_confirmation_block", "confirmation_status", "block_number"),
    )

    id: Mapped[int] = pk()
    chain_id: Mapped[int] = mapped_column(Integer, nullable=False)
    token_address: Mapped[str] = mapped_column(String(42), nullable=False)
    tx_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False)  # current position (a reorg moves it)
    occurrence: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    transfer_key: Mapped[str] = mapped_column(String(64), nullable=False)  # domain.transfers identity
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    block_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    from_address: Mapped[str] = mapped_column(String(42), nullable=False, index=True)
    to_address: Mapped[str] = mapped_column(String(42), nullable=False)
    raw_value: Mapped[int] = mapped_column(Uint256, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    match_status: Mapped[str] = enum_column(MatchStatus)
    unmatched_reason: Mapped[str | None] = enum_column(UnmatchedReason, nullable=True)
    confirmation_status: Mapped[str] = enum_column(ConfirmationStatus, default=ConfirmationStatus.PENDING)
    user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    deposit_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("deposits.id", use_alter=True))
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    orphaned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class UnmatchedDeposit(Base):
    __tablename__ = "unmatched_deposits"
    __table_args__ = (
        enum_check("reason", UnmatchedReason),
        enum_check("status", UnmatchedStatus),
        Index("ix_unmatched_deposits_status_created", "status", "created_at"),
    )

    id: Mapped[int] = pk()
    transfer_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("chain_transfers.id"), unique=True, nullable=False
    )
    reason: Mapped[str] = enum_column(UnmatchedReason)
    status: Mapped[str] = enum_column(UnmatchedStatus, default=UnmatchedStatus.OPEN)
    suspected_user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    assigned_deposit_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("deposits.id"))
    refund_payout_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payouts.id", use_alter=True))
    resolved_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ChainCursor(Base):
    __tablename__ = "chain_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_block_hash: Mapped[str | None] = mapped_column(String(66))
    chunk_size: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = updated_at()
