"""Local nonce manager of the payout wallets (SPEC §2.16, §4.6.1, §4.6.3).

One sender per wallet: the DB lease ``payout_sender:<address>`` across replicas plus an asyncio lock
per wallet inside a process. The ``wallet_nonces`` row is locked (PostgreSQL ``FOR UPDATE``) while a
nonce is taken, in the same transaction that persists the signed transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db import leases
from sigmatrade.db.models import WalletNonce
from sigmatrade.db.session import Database, is_postgres
from sigmatrade.logging import get_logger

LEASE_SECONDS = 60.0
_locks: dict[str, asyncio.Lock] = {}
log = get_logger("sigmatrade.payouts")


def lease_name(address: str) -> str:
    return f"payout_sender:{address.lower()}"


def wallet_lock(address: str) -> asyncio.Lock:
    return _locks.setdefault(address.lower(), asyncio.Lock())


class Slot:
    """The wallet's sending slot: true while held. The lease is renewed every third of its time
    while the run lasts; if a renewal fails (another replica took the lease after a stall) the slot
    turns false and the sender signs nothing more in this run."""

    def __init__(self, held: bool) -> None:
        self.held = held
        self.lost = False

    def __bool__(self) -> bool:
        return self.held and not self.lost


async def _keep(db: Database, address: str, holder: str, slot: Slot) -> None:
    while True:
        await asyncio.sleep(LEASE_SECONDS / 3)
        try:
            renewed = await leases.acquire(db, lease_name(address), holder, LEASE_SECONDS)
        except Exception:  # a failed renewal is retried; the lease still runs for two thirds
            log.exception("payout_lease_renew_error", wallet=address)
            continue
        if not renewed:
            slot.lost = True
            log.error("payout_lease_lost", wallet=address, holder=holder)
            return


@asynccontextmanager
async def sender_slot(db: Database, address: str, holder: str) -> AsyncIterator[Slot]:
    """Yields a true slot while this process is the wallet's only sender; false when another holds it."""
    lock = wallet_lock(address)
    if lock.locked():
        yield Slot(False)
        return
    async with lock:
        if not await leases.acquire(db, lease_name(address), holder, LEASE_SECONDS):
            yield Slot(False)
            return
        slot = Slot(True)
        keeper = asyncio.create_task(_keep(db, address, holder, slot))
        try:
            yield slot
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            if not slot.lost:
                await leases.release(db, lease_name(address), holder)


async def reserve(session: AsyncSession, address: str, chain_pending: int) -> int:
    """Take the next nonce in the caller's transaction: max(next_nonce, chain pending count)."""
    key = address.lower()
    row = await session.get(WalletNonce, key, with_for_update=is_postgres(session), populate_existing=True)
    if row is None:
        row = WalletNonce(address=key, next_nonce=chain_pending)
        session.add(row)
    nonce = max(row.next_nonce, chain_pending)
    row.next_nonce = nonce + 1
    await session.flush()
    return nonce


async def peek(session: AsyncSession, address: str) -> int | None:
    row = await session.get(WalletNonce, address.lower(), populate_existing=True)
    return None if row is None else row.next_nonce
