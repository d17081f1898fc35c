"""Local EVM chain for tests and the demo: anvil (npm ``@foundry-rs/anvil``) + the SandboxUSDT token.

``LocalChain`` starts anvil on a free loopback port, deploys the 18-decimal test token,
funds wallets, sends transfers, mines blocks, takes snapshots, and reorganises the chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from sigmatrade.chain.accounts import Account, LocalAccount
from sigmatrade.domain.money import amount_to_raw

ARTIFACT = Path(__file__).resolve().parent / "contracts" / "SandboxUSDT.json"
TEST_MNEMONIC = "test test test test test test test test test test test junk"
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
DEFAULT_CHAIN_ID = 56


class ChainError(RuntimeError):
    pass


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def find_anvil() -> str:
    """anvil from the project's node_modules (npm package), ANVIL_BIN, or PATH."""
    env = os.environ.get("ANVIL_BIN")
    if env:
        return env
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *here.parents]:
        for candidate in (
            parent / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil",
            parent / "node_modules" / "@foundry-rs" / "anvil-linux-arm64" / "bin" / "anvil",
            parent / "node_modules" / "@foundry-rs" / "anvil-darwin-arm64" / "bin" / "anvil",
            parent / "node_modules" / "@foundry-rs" / "anvil-darwin-amd64" / "bin" / "anvil",
            parent / "node_modules" / ".bin" / "anvil",
        ):
            if candidate.exists():
                return str(candidate)
    found = shutil.which("anvil")
    if found:
        return found
    raise ChainError("anvil not found: run `npm ci` (package @foundry-rs/anvil) or set ANVIL_BIN")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dev_accounts(count: int = 10) -> list[LocalAccount]:
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


@dataclass(frozen=True)
class TransferLog:
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    token: str
    from_address: str
    to_address: str
    raw_value: int


class RpcClient:
    """Minimal async JSON-RPC client (the sandbox's own; product code uses the provider manager)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)

    async def call(self, method: str, *params: Any) -> Any:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        async with self._http.post(self.url, json=body) as resp:
            data = await resp.json(content_type=None)
        if "error" in data:
            raise ChainError(
                f"{method}: {data['error'].get('message')} {data['error'].get('data', '')}".strip()
            )
        return data.get("result")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None


HISTORY_IN_MEMORY = 256  # blocks of state anvil keeps (reorgs in tests are at most ~30 deep)


class LocalChain:
    def __init__(
        self,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        port: int | None = None,
        block_time: float | None = None,
        accounts: int = 10,
    ) -> None:
        self.chain_id = chain_id
        self.port = port or free_port()
        self.block_time = block_time
        self.account_count = accounts
        self.accounts = dev_accounts(accounts)
        self.deployer = self.accounts[0]
        self.process: asyncio.subprocess.Process | None = None
        self.rpc = RpcClient(self.url)
        self.token_address: str | None = None
        self.token_decimals = 18
        self._nonces: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> LocalChain:
        args = [
            find_anvil(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.account_count),
            "--balance",
            "10000",
            "--mnemonic",
            TEST_MNEMONIC,
            "--gas-price",
            "1000000000",
            "--base-fee",
            "0",
            "--hardfork",
            "cancun",
            "--silent",
            # Keep recent states in memory only: without it anvil writes every older state to a
            # directory under ~/.foundry that nothing deletes (GBs per long test, the disk fills up).
            "--prune-history",
            str(HISTORY_IN_MEMORY),
        ]
        if self.block_time:
            args += ["--block-time", str(self.block_time)]
        self.process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(200):
            if self.process.returncode is not None:
                err = await self.process.stderr.read() if self.process.stderr else b""
                raise ChainError(f"anvil exited: {err.decode(errors='replace')[:500]}")
            with contextlib.suppress(aiohttp.ClientError, ChainError, OSError):
                await self.rpc.call("eth_chainId")
                return self
            await asyncio.sleep(0.05)
        raise ChainError("anvil did not start")

    async def stop(self) -> None:
        await self.rpc.close()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 5)
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()

    async def __aenter__(self) -> LocalChain:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- transactions
    async def _nonce(self, address: str) -> int:
        return int(await self.rpc.call("eth_getTransactionCount", address, "pending"), 16)

    async def send_tx(
        self,
        account: LocalAccount,
        *,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int = 200_000,
        gas_price: int = 1_000_000_000,
        nonce: int | None = None,
        wait: bool = True,
    ) -> str:
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": nonce if nonce is not None else await self._nonce(account.address),
            "gas": gas,
            "gasPrice": gas_price,
            "value": value,
            "data": data,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        signed = account.sign_transaction(tx)
        raw = signed.raw_transaction
        tx_hash: str = await self.rpc.call("eth_sendRawTransaction", "0x" + bytes(raw).hex())
        if wait:
            receipt = await self.wait_receipt(tx_hash)
            if int(receipt["status"], 16) != 1:
                raise ChainError(f"transaction {tx_hash} reverted")
        return tx_hash

    async def wait_receipt(self, tx_hash: str, timeout: float = 10) -> dict[str, Any]:
        for _ in range(int(timeout / 0.05)):
            receipt = await self.rpc.call("eth_getTransactionReceipt", tx_hash)
            if receipt is not None:
                return dict(receipt)
            await asyncio.sleep(0.05)
        raise ChainError(f"no receipt for {tx_hash}")

    # ---------------------------------------------------------------- token
    async def deploy_token(self, decimals: int = 18) -> str:
        artifact = json.loads(ARTIFACT.read_text())
        code = bytes.fromhex(artifact["bytecode"][2:]) + abi_encode(["uint8"], [decimals])
        tx_hash = await self.send_tx(self.deployer, to=None, data=code, gas=3_000_000)
        receipt = await self.wait_receipt(tx_hash)
        self.token_address = to_checksum_address(receipt["contractAddress"])
        self.token_decimals = decimals
        return self.token_address

    def _token(self) -> str:
        if self.token_address is None:
            raise ChainError("deploy the token first")
        return self.token_address

    def raw(self, amount: Decimal | str | int) -> int:
        return amount_to_raw(Decimal(amount), self.token_decimals)

    async def mint(self, to: str, raw: int) -> str:
        data = selector("mint(address,uint256)") + abi_encode(
            ["address", "uint256"], [to_checksum_address(to), raw]
        )
        return await self.send_tx(self.deployer, to=self._token(), data=data)

    async def transfer(self, sender: LocalAccount, to: str, raw: int, *, wait: bool = True) -> str:
        data = selector("transfer(address,uint256)") + abi_encode(
            ["address", "uint256"], [to_checksum_address(to), raw]
        )
        return await self.send_tx(sender, to=self._token(), data=data, wait=wait)

    async def set_paused(self, paused: bool) -> str:
        data = selector("setPaused(bool)") + abi_encode(["bool"], [paused])
        return await self.send_tx(self.deployer, to=self._token(), data=data)

    async def balance_of(self, address: str) -> int:
        data = selector("balanceOf(address)") + abi_encode(["address"], [to_checksum_address(address)])
        result = await self.rpc.call("eth_call", {"to": self._token(), "data": "0x" + data.hex()}, "latest")
        return int(result, 16)

    async def native_balance(self, address: str) -> int:
        return int(await self.rpc.call("eth_getBalance", to_checksum_address(address), "latest"), 16)

    async def set_native_balance(self, address: str, wei: int) -> None:
        await self.rpc.call("anvil_setBalance", to_checksum_address(address), hex(wei))

    async def fund(self, address: str, *, usdt: Decimal | str | int = 0, bnb_wei: int = 10**18) -> None:
        """Give a wallet test USDT and BNB for gas."""
        if usdt:
            await self.mint(address, self.raw(usdt))
        if bnb_wei:
            await self.set_native_balance(address, bnb_wei)

    async def transfer_logs(
        self, from_block: int, to_block: int, *, to: str | None = None
    ) -> list[TransferLog]:
        topics: list[Any] = [TRANSFER_TOPIC, None]
        if to is not None:
            topics.append("0x" + "0" * 24 + to.lower()[2:])
        logs = await self.rpc.call(
            "eth_getLogs",
            {
                "fromBlock": hex(from_block),
                "toBlock": hex(to_block),
                "address": self._token(),
                "topics": topics,
            },
        )
        return [decode_transfer(entry) for entry in logs]

    # ---------------------------------------------------------------- blocks
    async def block_number(self) -> int:
        return int(await self.rpc.call("eth_blockNumber"), 16)

    async def block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        return dict(await self.rpc.call("eth_getBlockByNumber", tag, False))

    async def mine(self, blocks: int = 1) -> None:
        await self.rpc.call("anvil_mine", hex(blocks))

    async def set_automine(self, enabled: bool) -> None:
        await self.rpc.call("evm_setAutomine", enabled)

    async def snapshot(self) -> str:
        return str(await self.rpc.call("evm_snapshot"))

    async def revert(self, snapshot_id: str) -> bool:
        return bool(await self.rpc.call("evm_revert", snapshot_id))

    async def reorg(self, depth: int, replay: list[tuple[str, int]] | None = None) -> None:
        """Replace the last ``depth`` blocks; ``replay`` = [(signed raw tx hex, block offset)] to include."""
        await self.rpc.call("anvil_reorg", depth, [[raw, offset] for raw, offset in (replay or [])])

    async def rollback(self, depth: int) -> None:
        """Remove the last ``depth`` blocks (their transactions return to the mempool only if re-sent)."""
        await self.rpc.call("anvil_rollback", depth)

    async def drop_all_pending(self) -> None:
        await self.rpc.call("anvil_dropAllTransactions")


def decode_transfer(entry: dict[str, Any]) -> TransferLog:
    topics = entry["topics"]
    (value,) = abi_decode(["uint256"], bytes.fromhex(entry["data"][2:]))
    return TransferLog(
        tx_hash=entry["transactionHash"].lower(),
        log_index=int(entry["logIndex"], 16),
        block_number=int(entry["blockNumber"], 16),
        block_hash=entry["blockHash"].lower(),
        token=entry["address"].lower(),
        from_address="0x" + topics[1][-40:].lower(),
        to_address="0x" + topics[2][-40:].lower(),
        raw_value=int(value),
    )
