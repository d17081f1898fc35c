"""What the deposit watcher tests share: the app (bot on the emulator) wired to a local anvil chain,
registered depositors with funded wallets, pending deposits, monitor passes and ledger reads."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.chain.accounts import Account, LocalAccount
from sigmatrade.chain.provider import ProviderManager
from sigmatrade.chain.reconcile import Reconciliation, reconcile
from sigmatrade.chain.token import encode_transfer
from sigmatrade.db.models import ChainTransfer, Deposit, User
from sigmatrade.domain.enums import DepositSource, DepositStatus
from sigmatrade.jobs.tasks import blockchain_monitor
from sigmatrade.jobs.tasks.blockchain_monitor import MonitorResult
from sigmatrade.ledger.balances import Balances, user_balances
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit
from tests.conftest import REDIS_URL
from tests.factories import make_user

CONFIRMATIONS = 3
_tg = itertools.count(7_100_000)


def new_account() -> LocalAccount:
    account: LocalAccount = Account.create()
    return account


@dataclass
class WatchEnv:
    h: Harness
    chain: LocalChain
    system: str
    users: dict[int, LocalAccount] = field(default_factory=dict)

    @property
    def rt(self) -> Any:
        return self.h.rt

    async def depositor(
        self,
        account: LocalAccount | None = None,
        *,
        usdt: str = "100",
        referrer: User | None = None,
        banned: bool = False,
        fund: bool = True,
    ) -> tuple[User, LocalAccount]:
        """A registered user (emulator chat open, English) whose wallet is a funded chain account."""
        account = account or new_account()
        telegram_id = next(_tg)
        self.h.user(telegram_id, "Payer", language_code="en").user.started = True
        async with self.rt.db.transaction() as session:
            user = await make_user(
                session,
                telegram_id=telegram_id,
                wallet=account.address,
                language="en",
                referrer=referrer,
                banned=banned,
            )
        if fund:
            await self.chain.fund(account.address, usdt=usdt)
        self.users[user.id] = account
        return user, account

    async def pending(self, user: User, amount: str = "10", level: int = 1, ttl_hours: int = 24) -> Deposit:
        now = clock.now()
        async with self.rt.db.transaction() as session:
            deposit = Deposit(
                user_id=user.id,
                level=level,
                amount=Decimal(amount),
                cap_amount=Decimal(amount) * 2,
                status=DepositStatus.PENDING,
                source=DepositSource.USER,
                expires_at=now + timedelta(hours=ttl_hours),
                accrued_total=Decimal(0),
                created_at=now,
                updated_at=now,
            )
            session.add(deposit)
            await session.flush()
        return deposit

    async def pay(self, account: LocalAccount, amount: str | int) -> str:
        raw = amount if isinstance(amount, int) else self.chain.raw(amount)
        return await self.chain.transfer(account, self.system, raw)

    async def monitor(self) -> MonitorResult:
        return await blockchain_monitor.monitor_once(self.rt)

    async def mine_and_monitor(self, blocks: int) -> MonitorResult:
        await self.chain.mine(blocks)
        return await self.monitor()

    async def deposit(self, deposit_id: int) -> Deposit:
        async with self.rt.db.session() as session:
            row = await session.get(Deposit, deposit_id)
            assert row is not None
            return row

    async def balances(self, user: User) -> Balances:
        async with self.rt.db.session() as session:
            return await user_balances(session, user.id)

    async def transfers(self) -> list[ChainTransfer]:
        async with self.rt.db.session() as session:
            return list((await session.scalars(select(ChainTransfer).order_by(ChainTransfer.id))).all())

    async def count(self, model: Any, *where: Any) -> int:
        async with self.rt.db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    async def ledger_ok(self) -> None:
        async with self.rt.db.session() as session:
            report = await run_check(session)
        assert report.ok, report.render() if hasattr(report, "render") else report.violations

    async def reconcile(self) -> Reconciliation:
        """SPEC §4.7 against the node itself (not the app's possibly faulty endpoints)."""
        return await reconcile_with_chain(self.rt.db, self.chain, CONFIRMATIONS)

    async def reconcile_ok(self) -> Reconciliation:
        report = await self.reconcile()
        assert report.ok, report.render()
        return report

    def texts(self, user: User) -> list[str]:
        return [m.body for m in self.h.emulator.bot_messages(user.telegram_id)]


async def reconcile_with_chain(
    db: Any,
    chain: LocalChain,
    confirmations: int,
    *,
    from_block: int | None = None,
    to_block: int | None = None,
    recheck_depth: int = 0,
) -> Reconciliation:
    """``ledger reconcile`` of the books in ``db`` against ``chain`` (for every chain test's end;
    the payout tests call it the same way). ``recheck_depth`` 0: nothing counts as awaiting the
    watcher's second look (every lost transfer is a difference)."""
    assert chain.token_address is not None
    async with ProviderManager([chain.url], chain_id=chain.chain_id) as provider:
        return await reconcile(
            db,
            provider,
            chain_id=chain.chain_id,
            token=chain.token_address,
            decimals=chain.token_decimals,
            confirmation_blocks=confirmations,
            from_block=from_block,
            to_block=to_block,
            recheck_depth=recheck_depth,
        )


async def signed_transfer(chain: LocalChain, wallet: LocalAccount, to: str, raw: int) -> str:
    """A signed token transfer (raw hex), not sent: the same bytes can be replayed after a reorg."""
    nonce = int(await chain.rpc.call("eth_getTransactionCount", wallet.address, "pending"), 16)
    tx: dict[str, Any] = {
        "chainId": chain.chain_id,
        "nonce": nonce,
        "gas": 200_000,
        "gasPrice": 1_000_000_000,
        "value": 0,
        "to": chain.token_address,
        "data": encode_transfer(to, raw),
    }
    signed = wallet.sign_transaction(tx)
    return "0x" + bytes(signed.raw_transaction).hex()


def settings_for(chain: LocalChain, start_block: int, system: str, **overrides: Any) -> dict[str, Any]:
    assert chain.token_address is not None
    values: dict[str, Any] = {
        "redis_url": REDIS_URL,
        "bsc_rpc_urls": chain.url,
        "chain_id": chain.chain_id,
        "usdt_contract_address": chain.token_address,
        "system_wallet_address": system,
        "confirmation_blocks": CONFIRMATIONS,
        "chain_start_block": start_block,
        "chain_orphan_grace_seconds": 0,
        # The second look a few blocks behind (200 in production): it runs in every chain test, and the
        # reconciliation that ends them counts nothing as "awaiting" for long.
        "chain_recheck_depth_blocks": 2 * CONFIRMATIONS,
        "default_language": "en",
    }
    values.update(overrides)
    return values


@asynccontextmanager
async def watch_env(db_url: str, chain: LocalChain, **overrides: Any) -> AsyncIterator[WatchEnv]:
    """The app on ``db_url`` watching ``chain`` from the next block on (``overrides``: settings)."""
    start = await chain.block_number() + 1
    system = new_account().address  # a system wallet of its own: other tests' transfers never match
    h = Harness(db_url, **settings_for(chain, start, system, **overrides))
    await h.start()
    env = WatchEnv(h, chain, system)
    try:
        assert blockchain_monitor.watcher_for(h.rt) is not None, "chain runtime not enabled"
        yield env
        # SPEC §12 preamble: after every scenario the ledger and the audit chain verify
        async with h.rt.db.session() as session:
            ledger = await run_check(session)
            chain_of_audit = await audit.verify(session)
        assert ledger.ok, ledger.render()
        assert chain_of_audit.ok, chain_of_audit.render()
        await env.reconcile_ok()  # the books agree with the chain (SPEC §4.7)
    finally:
        await h.stop()
    rejected = h.emulator.rejected()
    assert not rejected, [(r.method, r.response) for r in rejected]
