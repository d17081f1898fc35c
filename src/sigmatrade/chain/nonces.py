"""Local nonce manager of the payout wallets (SPEC §2.16, §4.6.1, §4.6.3).

One sender per wallet: the DB lease ``payout_sender:<address>`` across replicas plus an asyncio lock
per wallet inside a process. The ``wallet_nonces`` row is locked (PostgreSQL ``FOR UPDATE``) while a
nonce is taken, in the same transaction that persists the signed transaction.

Every transaction this database signs takes its nonce here first, so the chain's count of the wallet's
transactions never runs ahead of ``next_nonce`` — unless the wallet sent transactions the books do not
know: a manual transfer, another system holding the key, or a database restored from a backup taken
before payouts that were then sent. The last one is a double payment waiting to happen (the restored
books show a paid payout as approved). So a count ahead of the books, or any history on a wallet the
books never used, stops signing for the wallet (:class:`ForeignTransactions`) until an operator has
reconciled and accepted it (``sigmatrade wallet accept-nonce``).
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


class ForeignTransactions(RuntimeError):
    """The chain counts more transactions from the wallet than the books ever signed."""

    def __init__(self, address: str, books: int | None, chain: int) -> None:
        known = "none" if books is None else str(books)
        super().__init__(f"wallet {address}: the chain counts {chain} transactions, the books signed {known}")
        self.address = address
        self.books = books
        self.chain = chain


async def reserve(session: AsyncSession, address: str, chain_pending: int) -> int:
    """Take the next nonce in the caller's transaction (``chain_pending``: the wallet's transaction
    count, pending included). Raises :class:`ForeignTransactions` when the chain is ahead of the books."""
    key = address.lower()
    row = await session.get(WalletNonce, key, with_for_update=is_postgres(session), populate_existing=True)
    books = None if row is None else row.next_nonce
    if chain_pending > (books or 0):
        raise ForeignTransactions(key, books, chain_pending)
    if row is None:
        row = WalletNonce(address=key, next_nonce=chain_pending)
        session.add(row)
    nonce = row.next_nonce
    row.next_nonce = nonce + 1
    await session.flush()
    return nonce


async def accept(session: AsyncSession, address: str, chain_pending: int) -> int | None:
    """The operator's acceptance of the wallet's chain history: the books' next nonce becomes the chain's
    count. Returns the previous value (None: the books had none)."""
    key = address.lower()
    row = await session.get(WalletNonce, key, with_for_update=is_postgres(session), populate_existing=True)
    before = None if row is None else row.next_nonce
    if row is None:
        session.add(WalletNonce(address=key, next_nonce=chain_pending))
    else:
        row.next_nonce = max(row.next_nonce, chain_pending)
    await session.flush()
    return before


async def peek(session: AsyncSession, address: str) -> int | None:
    row = await session.get(WalletNonce, address.lower(), populate_existing=True)
    return None if row is None else row.next_nonce
