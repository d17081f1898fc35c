"""Posting journal entries (SPEC §3.5).

* Every entry has >= 2 postings that sum to exactly zero; amounts are exact Decimals.
* An idempotency key identifies the entry: posting it again is a no-op that returns the
  existing entry (safe under retries and concurrent replicas).
* The touched accounts are locked (under the books lock of ``db.locks``, then ``FOR UPDATE`` on
  PostgreSQL; the database write lock on SQLite) in id order, new balances are computed in
  Python, and a user account can never go below zero: :class:`InsufficientFunds` is raised and
  nothing is written.
* Everything happens in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.context import current_request_id
from sigmatrade.db.locks import lock_books
from sigmatrade.db.models import JournalEntry, LedgerAccount, LedgerPosting
from sigmatrade.db.session import is_postgres
from sigmatrade.domain.enums import AccountKind, EntryType
from sigmatrade.domain.money import MONEY_QUANTUM


class LedgerError(Exception):
    """The entry is malformed (caller bug)."""


class InsufficientFunds(LedgerError):
    def __init__(self, account_code: str, balance: Decimal, debit: Decimal) -> None:
        super().__init__(f"insufficient funds on {account_code}: balance {balance}, debit {debit}")
        self.account_code = account_code
        self.balance = balance
        self.debit = debit


@dataclass(frozen=True, slots=True)
class Posting:
    account: str  # account code
    amount: Decimal  # positive credits the account


@dataclass(frozen=True, slots=True)
class EntrySpec:
    key: str
    entry_type: EntryType
    postings: tuple[Posting, ...]
    reference_type: str | None = None
    reference_id: int | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PostResult:
    entry: JournalEntry
    created: bool


def validate(spec: EntrySpec) -> None:
    if not spec.key or len(spec.key) > 160:
        raise LedgerError("idempotency key must be 1..160 characters")
    if len(spec.postings) < 2:
        raise LedgerError("an entry needs at least two postings")
    for posting in spec.postings:
        if not isinstance(posting.amount, Decimal) or not posting.amount.is_finite():
            raise LedgerError("posting amounts must be finite Decimals")
        if posting.amount == 0:
            raise LedgerError("posting amounts must be non-zero")
        if posting.amount != posting.amount.quantize(MONEY_QUANTUM):
            raise LedgerError("posting amounts have at most 18 decimals")
    if sum((p.amount for p in spec.postings), Decimal(0)) != 0:
        raise LedgerError("postings must sum to zero")


async def _existing(session: AsyncSession, key: str) -> JournalEntry | None:
    entry: JournalEntry | None = await session.scalar(
        select(JournalEntry).where(JournalEntry.idempotency_key == key)
    )
    return entry


async def lock_accounts(session: AsyncSession, codes: list[str]) -> dict[str, LedgerAccount]:
    """Lock the accounts in id order, always under the books lock (taken first: the lock order of
    ``db.locks``), so no two transactions ever wait on each other's accounts or audit tail."""
    await lock_books(session)
    stmt = (
        select(LedgerAccount)
        .where(LedgerAccount.code.in_(sorted(set(codes))))
        .order_by(LedgerAccount.id)
        .execution_options(populate_existing=True)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update()
    accounts = {acc.code: acc for acc in (await session.scalars(stmt)).all()}
    missing = set(codes) - set(accounts)
    if missing:
        raise LedgerError(f"unknown ledger accounts: {sorted(missing)}")
    return accounts


async def post(session: AsyncSession, spec: EntrySpec, *, admin_id: int | None = None) -> PostResult:
    """Post ``spec`` in the caller's transaction (idempotent by ``spec.key``)."""
    validate(spec)
    accounts = await lock_accounts(session, [p.account for p in spec.postings])
    found = await _existing(session, spec.key)
    if found is not None:
        return PostResult(found, created=False)

    deltas: dict[str, Decimal] = defaultdict(Decimal)
    for posting in spec.postings:
        deltas[posting.account] += posting.amount
    for code, delta in deltas.items():
        account = accounts[code]
        if account.kind != AccountKind.SYSTEM and account.balance + delta < 0:
            raise InsufficientFunds(code, account.balance, -delta)

    entry = JournalEntry(
        idempotency_key=spec.key,
        entry_type=spec.entry_type,
        reference_type=spec.reference_type,
        reference_id=spec.reference_id,
        description=spec.description,
        request_id=current_request_id(),
        created_by_admin_id=admin_id,
    )
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        # A concurrent transaction committed the same key first.
        found = await _existing(session, spec.key)
        if found is None:
            raise
        return PostResult(found, created=False)

    for posting in spec.postings:
        session.add(
            LedgerPosting(entry_id=entry.id, account_id=accounts[posting.account].id, amount=posting.amount)
        )
    for code, delta in deltas.items():
        accounts[code].balance = accounts[code].balance + delta
    await session.flush()
    return PostResult(entry, created=True)
