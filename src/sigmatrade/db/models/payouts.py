"""payouts pipeline and wallets — SPEC §2.13–§2.18, §2.26."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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
    PayoutKind,
    PayoutStatus,
    PayoutTxKind,
    PayoutTxStatus,
    RetryErrorKind,
    RetryResolution,
    WalletChangeStatus,
    WalletChangeType,
)


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        enum_check("kind", PayoutKind),
        enum_check("status", PayoutStatus),
        CheckConstraint("(user_id IS NULL) = (kind = 'refund')", name="user_unless_refund"),
        CheckConstraint("net_amount > 0", name="net_positive"),
        CheckConstraint("fee >= 0", name="fee_nonnegative"),
        CheckConstraint("required_approvals BETWEEN 0 AND 2", name="approvals_range"),
        pg_only(CheckConstraint("amount = fee + net_amount", name="amount_split")),
        # The withdrawal queue reads a page in (created_at, id) order and counts from this index alone.
        Index("ix_payouts_status_created_id", "status", "created_at", "id"),
        Index("ix_payouts_user_status", "user_id", "status"),
        Index("ix_payouts_from_nonce", "from_address", "nonce"),
    )

    id: Mapped[int] = pk()
    kind: Mapped[str] = enum_column(PayoutKind)
    user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    unmatched_deposit_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("unmatched_deposits.id"))
    to_address: Mapped[str] = mapped_column(String(42), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    fee: Mapped[Decimal] = mapped_column(Money, nullable=False)
    net_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    raw_amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    status: Mapped[str] = enum_column(PayoutStatus, default=PayoutStatus.REQUESTED)
    required_approvals: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=1)
    auto_approved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rejected_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    from_address: Mapped[str | None] = mapped_column(String(42))
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    dead_lettered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class PayoutApproval(Base):
    __tablename__ = "payout_approvals"
    __table_args__ = (Index("uq_payout_approvals_payout_admin", "payout_id", "admin_id", unique=True),)

    id: Mapped[int] = pk()
    payout_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payouts.id"), nullable=False)
    admin_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("admins.id"), nullable=False)
    created_at: Mapped[datetime] = created_at()


class PayoutTransaction(Base):
    __tablename__ = "payout_transactions"
    __table_args__ = (
        enum_check("kind", PayoutTxKind),
        enum_check("status", PayoutTxStatus),
        Index("ix_payout_transactions_payout", "payout_id"),
    )

    id: Mapped[int] = pk()
    payout_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payouts.id"), nullable=False)
    from_address: Mapped[str] = mapped_column(String(42), nullable=False)
    nonce: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tx_hash: Mapped[str] = mapped_column(String(66), unique=True, nullable=False)
    signed_raw: Mapped[str] = mapped_column(Text, nullable=False)
    gas_limit: Mapped[int] = mapped_column(BigInteger, nullable=False)
    gas_price_wei: Mapped[int] = mapped_column(Uint256, nullable=False)
    kind: Mapped[str] = enum_column(PayoutTxKind, default=PayoutTxKind.TRANSFER)
    status: Mapped[str] = enum_column(PayoutTxStatus, default=PayoutTxStatus.SIGNED)
    broadcast_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mined_block: Mapped[int | None] = mapped_column(BigInteger)
    receipt_status: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = created_at()


class WalletNonce(Base):
    __tablename__ = "wallet_nonces"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = updated_at()


class WalletKey(Base):
    __tablename__ = "wallet_keys"
    __table_args__ = (CheckConstraint("created_via = 'cli'", name="created_via_cli"),)

    id: Mapped[int] = pk()
    address: Mapped[str] = mapped_column(String(42), unique=True, nullable=False)
    encrypted_key: Mapped[str] = mapped_column(Text, nullable=False)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    created_via: Mapped[str] = mapped_column(String(8), nullable=False, default="cli")
    created_at: Mapped[datetime] = created_at()


class PaymentRetry(Base):
    __tablename__ = "payment_retries"
    __table_args__ = (
        enum_check("error_kind", RetryErrorKind, nullable=True),
        enum_check("resolution", RetryResolution, nullable=True),
        Index("uq_payment_retries_open_payout", "payout_id", unique=True, **where("resolved = false")),
        Index("ix_payment_retries_due", "next_retry_at", **where("resolved = false AND in_dlq = false")),
        Index("ix_payment_retries_dlq", "dlq_at", **where("in_dlq = true AND resolved = false")),
    )

    id: Mapped[int] = pk()
    payout_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payouts.id"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    in_dlq: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    dlq_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    resolution: Mapped[str | None] = enum_column(RetryResolution, nullable=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class WalletChangeRequest(Base):
    __tablename__ = "wallet_change_requests"
    __table_args__ = (
        enum_check("type", WalletChangeType),
        enum_check("status", WalletChangeStatus),
        CheckConstraint("(type = 'payout') = (wallet_key_id IS NOT NULL)", name="key_for_payout"),
        Index(
            "uq_wallet_change_requests_open_type",
            "type",
            unique=True,
            **where("status IN ('pending', 'approved')"),
        ),
    )

    id: Mapped[int] = pk()
    type: Mapped[str] = enum_column(WalletChangeType)
    old_address: Mapped[str | None] = mapped_column(String(42))
    new_address: Mapped[str] = mapped_column(String(42), nullable=False)
    wallet_key_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("wallet_keys.id"))
    status: Mapped[str] = enum_column(WalletChangeStatus, default=WalletChangeStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    initiated_by_admin_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("admins.id"), nullable=False)
    approved_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    rejected_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    applied_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    created_at: Mapped[datetime] = created_at()
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
