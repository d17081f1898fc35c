"""ERC-20 (BEP-20 USDT) encoding: calls, the Transfer event, and log decoding."""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def address_topic(address: str) -> str:
    """A 32-byte topic holding an address (for eth_getLogs filters)."""
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


def encode_transfer(to: str, raw_amount: int) -> str:
    return (
        "0x"
        + (
            _selector("transfer(address,uint256)")
            + abi_encode(["address", "uint256"], [to_checksum_address(to), raw_amount])
        ).hex()
    )


def encode_balance_of(owner: str) -> str:
    return (
        "0x" + (_selector("balanceOf(address)") + abi_encode(["address"], [to_checksum_address(owner)])).hex()
    )


def encode_decimals() -> str:
    return "0x" + _selector("decimals()").hex()


def decode_uint(result: str) -> int:
    data = bytes.fromhex(result.removeprefix("0x"))
    if not data:
        raise ValueError("empty eth_call result")
    (value,) = abi_decode(["uint256"], data)
    return int(value)


@dataclass(frozen=True)
class TransferEvent:
    """One Transfer log, normalised: lower-case hex strings, exact integer value."""

    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    token: str
    from_address: str
    to_address: str
    raw_value: int
    removed: bool = False


def decode_transfer_log(entry: dict[str, object]) -> TransferEvent:
    topics = entry["topics"]
    assert isinstance(topics, list) and len(topics) == 3 and str(topics[0]).lower() == TRANSFER_TOPIC
    data = str(entry["data"])
    (value,) = abi_decode(["uint256"], bytes.fromhex(data.removeprefix("0x")))
    return TransferEvent(
        tx_hash=str(entry["transactionHash"]).lower(),
        log_index=int(str(entry["logIndex"]), 16),
        block_number=int(str(entry["blockNumber"]), 16),
        block_hash=str(entry["blockHash"]).lower(),
        token=str(entry["address"]).lower(),
        from_address="0x" + str(topics[1])[-40:].lower(),
        to_address="0x" + str(topics[2])[-40:].lower(),
        raw_value=int(value),
        removed=bool(entry.get("removed", False)),
    )
