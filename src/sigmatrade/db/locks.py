"""The lock order of write transactions (docs/decisions.md, "Lock order").

Every transaction that writes to the books takes its locks in this order, and never goes back:

1. rows of the domain objects it changes (users, payouts, deposits, …: ``FOR UPDATE`` or the
   conditional ``UPDATE`` that moves a status);
2. the **books lock** (:func:`lock_books`): one PostgreSQL transaction-level advisory lock;
3. ledger accounts, in id order (``ledger.journal.lock_accounts``);
4. the audit chain's tail (``services.audit.log``: id = previous id + 1).

The books lock is taken at fixed points only — first thing in ``lock_accounts`` and in
``audit.log`` — so steps 3 and 4 always run under it whatever order a use case calls them in
(a deposit confirmation posts, audits, then posts commissions; a withdrawal request posts then
audits). It is reentrant within a transaction and held until commit, so ledger postings and audit
rows of different transactions are serialised and two of them can never wait on each other's
account locks. On SQLite the database write lock already serialises every writer.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sigmatrade.db.session import is_postgres

BOOKS_LOCK_KEY = 0x5167_A0D1  # arbitrary constant naming the lock (the audit chain's historical key)
_HELD = "sigmatrade.books_lock"


async def lock_books(session: AsyncSession) -> None:
    """Take the books lock in the caller's transaction (once per transaction; no-op on SQLite)."""
    if not is_postgres(session):
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_HELD) is transaction:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BOOKS_LOCK_KEY})
    session.info[_HELD] = session.get_transaction()


STARTUP_LOCK_KEY = 0x5167_57A7  # arbitrary constant naming the start-up lock


async def lock_startup(connection: AsyncConnection | AsyncSession) -> None:
    """Serialise start-up work of replicas started together (schema upgrade, seeding defaults and
    bootstrap admins): a PostgreSQL transaction-level advisory lock, held until the caller's
    transaction ends, so the second replica reads what the first committed. No-op on SQLite,
    whose write lock already serialises writers."""
    if isinstance(connection, AsyncConnection):
        postgres = connection.dialect.name == "postgresql"
    else:
        postgres = is_postgres(connection)
    if not postgres:
        return
    await connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": STARTUP_LOCK_KEY})
