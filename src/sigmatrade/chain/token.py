"""ERC-20 (BEP-20 USDT) encoding: calls, the Transfer event, and log decoding.

Only static ABI types occur (``address``, ``uint256``): each is one 32-byte big-endian word, so the
encoding is written out here instead of loading a general ABI codec.
"""

from __future__ import annotations

from dataclasses import dataclass

from sigmatrade.domain.addresses import is_valid_address
from sigmatrade.domain.hashing import keccak256

WORD = 32
UINT256_MAX = 2**256 - 1
TRANSFER_TOPIC = "0x" + keccak256(b"Transfer(address,address,uint256)").hex()


def _selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def _address_word(address: str) -> bytes:
    if not is_valid_address(address):
        raise ValueError(f"not an address: {address!r}")
    return bytes(12) + bytes.fromhex(address[2:])


def _uint_word(value: int) -> bytes:
    if not 0 <= value <= UINT256_MAX:
        raise ValueError("uint256 out of range")
    return value.to_bytes(WORD, "big")


def _first_uint(data: bytes) -> int:
    """The uint256 in the first word (what a ``uint256``-returning call or the Transfer data holds)."""
    if len(data) < WORD:
        raise ValueError(f"expected a 32-byte word, got {len(data)} bytes")
    return int.from_bytes(data[:WORD], "big")


def address_topic(address: str) -> str:
    """A 32-byte topic holding an address (for eth_getLogs filters)."""
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


def encode_transfer(to: str, raw_amount: int) -> str:
    return "0x" + (_selector("transfer(address,uint256)") + _address_word(to) + _uint_word(raw_amount)).hex()


def encode_balance_of(owner: str) -> str:
    return "0x" + (_selector("balanceOf(address)") + _address_word(owner)).hex()


def encode_decimals() -> str:
    return "0x" + _selector("decimals()").hex()


def decode_uint(result: str) -> int:
    data = bytes.fromhex(result.removeprefix("0x"))
    if not data:
        raise ValueError("empty eth_call result")
    return _first_uint(data)


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
    value = _first_uint(bytes.fromhex(data.removeprefix("0x")))
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
