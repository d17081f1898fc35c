"""Crash safety of the payout sender (SPEC §4.6.3–§4.6.7, §12 scenarios 45 and 46): a real sender
process (tests/chain/payout_worker.py) is killed with ``os._exit`` right after the signed transaction
is persisted, or right after it was broadcast; a restarted process finishes the payout and the chain
holds exactly one transfer for it, with the hash that was persisted before the crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sigmatrade.chain.nonces import lease_name
from sigmatrade.chain.payout_sender import FAULT_ENV, FAULT_EXIT_CODE
from sigmatrade.db import leases
from sigmatrade.db.models import Payout, PayoutTransaction
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutStatus, PayoutTxStatus
from sigmatrade.ledger import accounts
from sigmatrade.sandbox.chain import LocalChain
from tests.chain.payout_worker import open_runtime
from tests.chain.test_payouts import (
    CONFIRMATIONS,
    ENCRYPTION_KEY,
    approved_payout,
    balance,
    ledger_ok,
    payout_settings,
    setup_wallet,
)
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


WORKER = Path(__file__).with_name("payout_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def run_worker(
    db_url: str, node: LocalChain, cwd: Path, fault: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "TEST_", FAULT_ENV))}
    env.update(
        {
            "DATABASE_URL": db_url,
            "BSC_RPC_URLS": node.url,
            "CHAIN_ID": str(node.chain_id),
            "USDT_CONTRACT_ADDRESS": str(node.token_address),
            "CONFIRMATION_BLOCKS": str(CONFIRMATIONS),
            "ENCRYPTION_KEY": ENCRYPTION_KEY,
            "ENVIRONMENT": "test",
            "DEFAULT_LANGUAGE": "en",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.run(
        [sys.executable, str(WORKER)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def report_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


async def state(db: Database, payout_id: int) -> tuple[Payout, list[PayoutTransaction]]:
    async with db.session() as session:
        payout = await session.get(Payout, payout_id)
        assert payout is not None
        txs = (
            await session.scalars(select(PayoutTransaction).where(PayoutTransaction.payout_id == payout_id))
        ).all()
        return payout, list(txs)


@pytest.mark.parametrize("fault", ["after_persist", "after_broadcast"])
async def test_killed_sender_restarts_with_exactly_one_transfer(
    fault: str, db_url: str, chain: LocalChain, tmp_path: Path
) -> None:
    async with open_runtime(payout_settings(db_url, chain)) as (rt, _):
        wallet = await setup_wallet(rt, chain)
        user_id, payout_id, receiver = await approved_payout(rt.db, "25.75", fee="0.25")
        other_user, other_id, other_receiver = await approved_payout(rt.db, "8")
    start = await chain.block_number()
    nonce_before = int(await chain.rpc.call("eth_getTransactionCount", wallet.address, "latest"), 16)

    crashed = run_worker(db_url, chain, tmp_path, fault=fault)
    assert crashed.returncode == FAULT_EXIT_CODE, crashed.stderr[-2000:]

    db = Database(db_url)
    try:
        payout, txs = await state(db, payout_id)
        assert payout.status == PayoutStatus.SIGNING  # the status update never happened
        assert len(txs) == 1 and txs[0].status == PayoutTxStatus.SIGNED
        persisted = txs[0]
        assert payout.tx_hash == persisted.tx_hash and payout.nonce == persisted.nonce == nonce_before
        on_chain = await chain.rpc.call("eth_getTransactionByHash", persisted.tx_hash)
        if fault == "after_persist":
            assert on_chain is None and await chain.balance_of(receiver) == 0
        else:
            assert on_chain is not None and await chain.balance_of(receiver) == chain.raw("25.5")
        assert (await state(db, other_id))[0].status == PayoutStatus.APPROVED  # never reached

        assert await leases.holder_of(db, lease_name(wallet.address)) is not None  # unexpired, dead holder
        # Restart at once: the dead process's unexpired lease is recognised as its (same machine, PID
        # gone) and taken over, no waiting out the TTL; a live holder still blocks (test_leases).
        first = report_of(run_worker(db_url, chain, tmp_path))  # recovery, then the next payout
        assert first["recovered"] == [payout_id] and first["sent"] == [other_id]
        payout, txs = await state(db, payout_id)
        assert payout.status == PayoutStatus.SENT and [t.tx_hash for t in txs] == [persisted.tx_hash]
        receipt = await chain.rpc.call("eth_getTransactionReceipt", persisted.tx_hash)
        assert receipt is not None and int(receipt["status"], 16) == 1

        await chain.mine(CONFIRMATIONS)
        second = report_of(run_worker(db_url, chain, tmp_path))
        assert sorted(second["confirmed"]) == [payout_id, other_id] and second["sent"] == []
        third = report_of(run_worker(db_url, chain, tmp_path))
        assert third["sent"] == third["confirmed"] == third["recovered"] == third["rebroadcast"] == []

        end = await chain.block_number()
        logs = await chain.transfer_logs(start, end, to=receiver)
        assert len(logs) == 1 and logs[0].tx_hash == persisted.tx_hash
        assert logs[0].raw_value == chain.raw("25.5") == await chain.balance_of(receiver)
        assert len(await chain.transfer_logs(start, end, to=other_receiver)) == 1
        assert await chain.balance_of(other_receiver) == chain.raw("8")
        assert (
            int(await chain.rpc.call("eth_getTransactionCount", wallet.address, "latest"), 16)
            == nonce_before + 2
        )
        payout, txs = await state(db, payout_id)
        assert payout.status == PayoutStatus.CONFIRMED and len(txs) == 1
        assert txs[0].status == PayoutTxStatus.MINED_SUCCESS
        assert (await state(db, other_id))[0].nonce == nonce_before + 1
        assert await balance(db, accounts.held(user_id)) == 0
        assert await balance(db, accounts.held(other_user)) == 0
        await ledger_ok(db)
    finally:
        await db.dispose()
