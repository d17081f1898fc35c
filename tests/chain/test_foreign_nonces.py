"""The payout wallet's chain history ahead of the books stops signing (chain/nonces.py): a database
restored from a backup taken before payouts that were then sent would otherwise pay them again, and a
manual transfer from the wallet is something an operator must account for first (found by an
independent review of backup and restore, 2026-12-07)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from sigmatrade import clock
from sigmatrade.chain.payout_sender import PayoutSender
from sigmatrade.clicmds import wallet as wallet_cli
from sigmatrade.config import ConfigError
from sigmatrade.db.models import PayoutTransaction
from sigmatrade.domain.enums import AdminRole, PayoutStatus
from sigmatrade.ops import backup as files
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.services.admin import payouts as desk
from tests.chain.payout_worker import open_runtime
from tests.chain.rpc_proxy import RpcProxy
from tests.chain.test_payouts import (
    Env,
    approved_payout,
    count,
    ledger_ok,
    notifications,
    payout_row,
    payout_settings,
    setup_wallet,
)
from tests.desk_helpers import desk_admin

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


@pytest.fixture
async def env(db_url: str, chain: LocalChain) -> AsyncIterator[Env]:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, chain_rt):
        yield Env(rt, chain_rt, chain, await setup_wallet(rt, chain))


async def test_a_database_restored_from_before_a_payout_was_paid_does_not_pay_it_again(
    env: Env, chain: LocalChain, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the restore is exercised on SQLite; the guard is the same code on PostgreSQL")
    _, payout_id, receiver = await approved_payout(env.db, "10")
    backup = files.make_backup(db_url, tmp_path / "backups", key=None, now=clock.now())  # payout approved
    assert (await env.sender().run()).sent == [payout_id]
    await env.mine()
    assert (await env.sender().run()).confirmed == [payout_id]
    restored = f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'db.sqlite'}"
    files.restore_file(backup.path, restored, None, target_empty=True)
    clock.travel(timedelta(minutes=1))
    async with open_runtime(payout_settings(restored, chain)) as (rt, chain_rt):
        report = await PayoutSender(rt, chain_rt).run()
        assert report.sent == [] and report.halted == [env.wallet.address]
        assert (await payout_row(rt.db, payout_id)).status == PayoutStatus.APPROVED
        assert await count(rt.db, PayoutTransaction) == 0  # nothing signed
        assert any("never signed" in n for n in await notifications(rt.db, "admin_alert"))
    assert await chain.balance_of(receiver) == chain.raw("10")  # paid once


async def test_a_manual_transfer_from_the_wallet_stops_signing_until_accepted(
    env: Env, chain: LocalChain, db_url: str
) -> None:
    """The payout goes straight to the dead-letter queue: after the operator accepts the history it
    resumes only when an admin retries it (it used to retry by itself, and an acceptance made while a
    restored, already paid payout was still retrying paid it a second time — found by a review)."""
    _, first, _ = await approved_payout(env.db, "5")
    assert (await env.sender().run()).sent == [first]
    await env.mine()
    assert (await env.sender().run()).confirmed == [first]
    await chain.transfer(env.wallet, chain.deployer.address, chain.raw("1"))  # the operator, by hand
    _, second, receiver = await approved_payout(env.db, "7")
    report = await env.sender().run()
    assert report.sent == [] and report.halted == [env.wallet.address]
    assert [p for p, _ in report.failed] == [second] and report.dead_lettered == [second]
    again = await env.sender().run()  # nothing left to try; one alert an hour
    assert again.sent == [] and again.failed == []
    alerts = [n for n in await notifications(env.db, "admin_alert") if "never signed" in n]
    assert len(alerts) == 1
    config = payout_settings(db_url, chain)
    address = env.wallet.address.lower()
    line = await wallet_cli._accept(config, address, write=False)
    assert "the chain counts 2 transactions, the books signed 1" in line and "nothing written" in line
    line = await wallet_cli._accept(config, address, write=True)
    assert "accepted" in line
    clock.travel(timedelta(minutes=30))
    assert (await env.sender().run(retries_only=True)).sent == []  # dead-lettered: waits for an admin
    assert (await env.sender().run()).sent == []
    admin = await desk_admin(env.rt, AdminRole.EXTENDED_ADMIN)
    async with env.rt.db.session() as session:
        await desk.retry(session, env.rt, admin, second)
    assert (await env.sender().run(retries_only=True)).sent == [second]
    await env.mine()
    assert (await env.sender().run()).confirmed == [second]
    assert await chain.balance_of(receiver) == chain.raw("7")
    await ledger_ok(env.db)


async def test_one_endpoint_counting_too_many_transactions_stops_nothing(
    db_url: str, chain: LocalChain
) -> None:
    """The guard takes the lowest count of the answering endpoints: one node answering too high does
    not dead-letter every payout; the acceptance refuses while the endpoints disagree."""
    async with (
        RpcProxy(chain.url) as liar,
        RpcProxy(chain.url) as honest,
        open_runtime(payout_settings(db_url, chain, bsc_rpc_urls=f"a={liar.url},b={honest.url}")) as runtime,
    ):
        rt, chain_rt = runtime
        env = Env(rt, chain_rt, chain, await setup_wallet(rt, chain))
        liar.fixed_results["eth_getTransactionCount"] = hex(5)
        _, payout_id, receiver = await approved_payout(env.db, "3")
        report = await env.sender().run()
        assert report.sent == [payout_id] and report.halted == []
        with pytest.raises(ConfigError, match="do not agree"):
            await wallet_cli._accept(
                payout_settings(db_url, chain, bsc_rpc_urls=f"a={liar.url},b={honest.url}"),
                env.wallet.address.lower(),
                write=True,
            )
        liar.fixed_results.clear()
        await env.mine()
        assert (await env.sender().run()).confirmed == [payout_id]
        assert await chain.balance_of(receiver) == chain.raw("3")
