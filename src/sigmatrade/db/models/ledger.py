"""ledger_accounts, journal_entries, ledger_postings — SPEC §2.9–§2.11."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sigmatrade.db.base import Base, BigIntPK, created_at, enum_check, enum_column, pk
from sigmatrade.db.types import Money
from sigmatrade.domain.enums import AccountKind, EntryType


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        enum_check("kind", AccountKind),
        CheckConstraint("(kind = 'system') = (user_id IS NULL)", name="user_for_user_kinds"),
        CheckConstraint("kind = 'system' OR balance >= 0", name="user_balance_nonnegative"),
        Index("uq_ledger_accounts_user_kind", "user_id", "kind", unique=True),
    )

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = enum_column(AccountKind)
    user_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("users.id"))
    balance: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    created_at: Mapped[datetime] = created_at()


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        enum_check("entry_type", EntryType),
        Index("ix_journal_entries_reference", "reference_type", "reference_id"),
    )

    id: Mapped[int] = pk()
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    entry_type: Mapped[str] = enum_column(EntryType)
    reference_type: Mapped[str | None] = mapped_column(String(32))
    reference_id: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(40))
    created_by_admin_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("admins.id"))
    created_at: Mapped[datetime] = created_at()


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        Index("ix_ledger_postings_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = pk()
    entry_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("journal_entries.id"), nullable=False, index=True
    )
    account_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ledger_accounts.id"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    created_at: Mapped[datetime] = created_at()
