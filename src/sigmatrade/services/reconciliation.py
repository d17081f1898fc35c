"""The books' side of the reconciliation with the chain (SPEC §4.7), read in one session.

* **Incoming**, per recorded transfer (not orphaned) up to the reconciled height, keyed by its on-chain
  identity: confirmed and dust → its amount ("dust recorded"); confirmed, not dust → the amount of its
  ledger entry (``deposit:<key>:confirm`` or ``unmatched:<key>:received``; none → 0, a difference);
  pending → left out (reported apart). Entries of chain money whose transfer is unknown are named too.
* **Outgoing**, per payout transaction: ``confirmed`` payouts (settled) → the sum of their raw amounts
  (named by payout id); transactions of payouts still ``signing`` / ``sent`` → pending (in flight);
  our payout transactions recorded as mined in range → their BNB fees are read apart.
* **Addresses**: the watched deposit addresses (the system wallet setting, every address it ever had,
  every recipient recorded) and the payout wallets (the configured one, the keystore, every sender of
  a payout or a payout transaction).

Money is summed in Python (exact on both dialects).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import (
    ChainTransfer,
    JournalEntry,
    LedgerPosting,
    Payout,
    PayoutTransaction,
    SystemSetting,
    WalletChangeRequest,
    WalletKey,
)
from sigmatrade.domain.enums import (
    ConfirmationStatus,
    MatchStatus,
    PayoutStatus,
    WalletChangeStatus,
    WalletChangeType,
)
from sigmatrade.domain.money import raw_to_amount
from sigmatrade.domain.reconciliation import INCOMING, NOT_ON_CHAIN, Difference, Movement

CREDIT_PREFIXES = (("deposit:", ":confirm", "credited"), ("unmatched:", ":received", "unmatched"))


@dataclass
class Books:
    movements: dict[str, Movement] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    parts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: Decimal(0)))
    orphan_entries: list[Difference] = field(default_factory=list)


async def _setting(session: AsyncSession, key: str) -> object:
    raw = await session.scalar(select(SystemSetting.value).where(SystemSetting.key == key))
    return json.loads(raw) if raw else None


async def watched_addresses(session: AsyncSession, now: datetime | None = None) -> tuple[list[str], set[str]]:
    """Every deposit address ever used, and those of them retired past their grace period (no longer
    watched, §4.3.1: transfers there are not expected in the books)."""
    now = now or clock.now()
    found: set[str] = set()
    current = await _setting(session, "deposit.system_wallet_address")
    if isinstance(current, str) and current:
        found.add(current.lower())
    grace = await _setting(session, "deposit.retired_address_grace_hours")
    hours = int(grace) if isinstance(grace, int) else 48
    retired: set[str] = set()
    for old, new, applied_at in (
        await session.execute(
            select(
                WalletChangeRequest.old_address,
                WalletChangeRequest.new_address,
                WalletChangeRequest.applied_at,
            ).where(
                WalletChangeRequest.type == WalletChangeType.SYSTEM_DEPOSIT,
                WalletChangeRequest.status == WalletChangeStatus.APPLIED,
            )
        )
    ).all():
        found.update(a.lower() for a in (old, new) if a)
        if old and applied_at is not None and applied_at < now - timedelta(hours=hours):
            retired.add(old.lower())
    found.update(
        a.lower() for a in (await session.scalars(select(ChainTransfer.to_address).distinct())).all()
    )
    retired.discard(current.lower() if isinstance(current, str) else "")
    return sorted(found), retired


async def payout_wallets(session: AsyncSession) -> list[str]:
    found = {a.lower() for a in (await session.scalars(select(WalletKey.address))).all()}
    configured = await _setting(session, "payout.wallet_address")
    if isinstance(configured, str) and configured:
        found.add(configured.lower())
    for column in (Payout.from_address, PayoutTransaction.from_address):
        found.update(a.lower() for a in (await session.scalars(select(column).distinct())).all() if a)
    return sorted(found)


async def _entry_amounts(session: AsyncSession, keys: list[str]) -> dict[str, Decimal]:
    """Idempotency key → the entry's amount (sum of its credits)."""
    amounts: dict[str, Decimal] = {}
    for start in range(0, len(keys), 500):
        rows = (
            await session.execute(
                select(JournalEntry.idempotency_key, LedgerPosting.amount)
                .join(LedgerPosting, LedgerPosting.entry_id == JournalEntry.id)
                .where(JournalEntry.idempotency_key.in_(keys[start : start + 500]))
            )
        ).all()
        for key, amount in rows:
            if amount > 0:
                amounts[key] = amounts.get(key, Decimal(0)) + amount
    return amounts


async def incoming_books(session: AsyncSession, chain_id: int, from_block: int, to_block: int) -> Books:
    books = Books()
    rows = (
        await session.scalars(
            select(ChainTransfer).where(
                ChainTransfer.chain_id == chain_id,
                ChainTransfer.block_number >= from_block,
                ChainTransfer.block_number <= to_block,
                ChainTransfer.confirmation_status != ConfirmationStatus.ORPHANED,
            )
        )
    ).all()
    keys = [f"{p}{row.transfer_key}{s}" for row in rows for p, s, _ in CREDIT_PREFIXES]
    entries = await _entry_amounts(session, keys)
    for row in rows:
        if row.confirmation_status == ConfirmationStatus.PENDING:
            books.pending.add(row.transfer_key)
            books.parts["pending"] += row.amount
            continue
        amount = Decimal(0)
        if row.match_status == MatchStatus.DUST:
            amount = row.amount
            books.parts["dust"] += amount
        else:
            for prefix, suffix, part in CREDIT_PREFIXES:
                credited = entries.get(f"{prefix}{row.transfer_key}{suffix}")
                if credited is not None:
                    amount += credited
                    books.parts[part] += credited
        books.movements[row.transfer_key] = Movement(row.transfer_key, row.tx_hash, amount, row.from_address)
    known = set((await session.scalars(select(ChainTransfer.transfer_key))).all())
    for prefix, suffix, _ in CREDIT_PREFIXES:
        pattern = f"{prefix}%{suffix}"
        for key in (
            await session.scalars(
                select(JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.like(pattern))
            )
        ).all():
            identity = key[len(prefix) : -len(suffix)]
            if len(identity) == 64 and identity not in known:
                books.orphan_entries.append(Difference(INCOMING, NOT_ON_CHAIN, f"entry {key}", None, None))
    return books


async def first_payout_block(session: AsyncSession) -> int | None:
    """The lowest block a payout transaction of ours was mined in (or a payout settled in)."""
    mined = await session.scalar(select(func.min(PayoutTransaction.mined_block)))
    settled = await session.scalar(select(func.min(Payout.block_number)))
    found = [int(b) for b in (mined, settled) if b is not None]
    return min(found) if found else None


async def outgoing_books(session: AsyncSession, decimals: int, from_block: int, to_block: int) -> Books:
    books = Books()
    settled = (
        await session.scalars(
            select(Payout)
            .where(
                Payout.status == PayoutStatus.CONFIRMED,
                Payout.block_number >= from_block,
                Payout.block_number <= to_block,
            )
            .order_by(Payout.id)
        )
    ).all()
    raw: dict[str, int] = defaultdict(int)
    ids: dict[str, list[int]] = defaultdict(list)
    recipients: dict[str, str] = {}
    for payout in settled:
        if payout.tx_hash:
            key = payout.tx_hash.lower()
            raw[key] += int(payout.raw_amount)
            ids[key].append(payout.id)
            recipients[key] = payout.to_address.lower()
    for key, units in raw.items():
        amount = raw_to_amount(units, decimals)
        ref = "payouts " + ", ".join(f"#{i}" for i in ids[key])
        books.movements[key] = Movement(key, key, amount, recipients[key], ref=ref)
        books.parts["settled"] += amount
    open_payouts = select(Payout.id).where(Payout.status.in_([PayoutStatus.SIGNING, PayoutStatus.SENT]))
    for tx_hash in (
        await session.scalars(
            select(PayoutTransaction.tx_hash).where(PayoutTransaction.payout_id.in_(open_payouts))
        )
    ).all():
        books.pending.add(tx_hash.lower())
    return books


async def mined_payout_transactions(session: AsyncSession, from_block: int, to_block: int) -> set[str]:
    """Our payout transactions recorded as mined in [from_block, to_block], whatever their outcome (a
    reverted one moved no token but still paid its BNB fee)."""
    rows = (
        await session.scalars(
            select(PayoutTransaction.tx_hash).where(
                PayoutTransaction.mined_block >= from_block, PayoutTransaction.mined_block <= to_block
            )
        )
    ).all()
    return {str(h).lower() for h in rows}
