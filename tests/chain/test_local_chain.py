"""The local chain bed: anvil + the 18-decimal test token, transfers, logs, reorgs."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from sigmatrade.domain.money import raw_to_amount
from sigmatrade.sandbox.chain import ARTIFACT, LocalChain

pytestmark = pytest.mark.chain
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def chain() -> AsyncIterator[LocalChain]:
    c = LocalChain()
    await c.start()
    await c.deploy_token()
    yield c
    await c.stop()


async def test_transfer_12_5_tokens_read_back_exactly(chain: LocalChain) -> None:
    sender, receiver = chain.accounts[1], chain.accounts[2]
    await chain.fund(sender.address, usdt="100")
    start = await chain.block_number()
    tx_hash = await chain.transfer(sender, receiver.address, chain.raw("12.5"))
    logs = await chain.transfer_logs(start, await chain.block_number(), to=receiver.address)
    assert len(logs) == 1
    log = logs[0]
    assert log.tx_hash == tx_hash.lower()
    assert log.raw_value == 12_500_000_000_000_000_000
    assert raw_to_amount(log.raw_value, 18) == Decimal("12.5")
    assert log.from_address == sender.address.lower() and log.to_address == receiver.address.lower()
    assert await chain.balance_of(receiver.address) == 12_500_000_000_000_000_000


async def test_reorg_removes_a_transfer(chain: LocalChain) -> None:
    sender, receiver = chain.accounts[1], chain.accounts[2]
    await chain.fund(sender.address, usdt="10")
    before = await chain.block_number()
    await chain.transfer(sender, receiver.address, chain.raw("1"))
    mined = await chain.block(before + 1)
    await chain.reorg(1)
    assert await chain.block_number() == before + 1
    replaced = await chain.block(before + 1)
    assert replaced["hash"] != mined["hash"]
    assert await chain.transfer_logs(before, await chain.block_number(), to=receiver.address) == []
    assert await chain.balance_of(receiver.address) == 0


async def test_snapshot_and_pause(chain: LocalChain) -> None:
    sender = chain.accounts[1]
    await chain.fund(sender.address, usdt="5")
    snap = await chain.snapshot()
    await chain.mine(10)
    await chain.revert(snap)
    await chain.set_paused(True)
    from sigmatrade.sandbox.chain import ChainError

    with pytest.raises(ChainError, match="reverted"):
        await chain.transfer(sender, chain.accounts[2].address, chain.raw("1"))


def test_artifact_matches_source() -> None:
    import hashlib

    artifact = json.loads(ARTIFACT.read_text())
    source = (ROOT / "contracts" / "SandboxUSDT.sol").read_text()
    assert artifact["sourceSha256"] == hashlib.sha256(source.encode()).hexdigest()


@pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "solc").exists(),
    reason="node/solc not installed",
)
def test_artifact_recompiles_identically() -> None:
    result = subprocess.run(
        ["node", "scripts/compile_contracts.mjs", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
