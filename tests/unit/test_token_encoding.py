"""The hand-written ERC-20 encoding and keccak agree with the general ABI codec and eth-utils."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.chain import token
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.domain.hashing import keccak256

ADDRESSES = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
AMOUNTS = st.integers(min_value=0, max_value=2**256 - 1)


@given(st.binary(max_size=300))
def test_keccak_matches_eth_utils(data: bytes) -> None:
    assert keccak256(data) == keccak(data)


@given(ADDRESSES)
def test_checksum_matches_eth_utils(address: str) -> None:
    assert to_checksum(address) == to_checksum_address(address)


@given(ADDRESSES, AMOUNTS)
def test_transfer_call_matches_the_abi_codec(to: str, amount: int) -> None:
    expected = keccak(text="transfer(address,uint256)")[:4] + abi_encode(["address", "uint256"], [to, amount])
    assert token.encode_transfer(to, amount) == "0x" + expected.hex()
    assert token.encode_transfer(to_checksum(to), amount) == "0x" + expected.hex()


@given(ADDRESSES)
def test_balance_of_call_matches_the_abi_codec(owner: str) -> None:
    expected = keccak(text="balanceOf(address)")[:4] + abi_encode(["address"], [owner])
    assert token.encode_balance_of(owner) == "0x" + expected.hex()


@given(AMOUNTS)
def test_uint_results_decode(value: int) -> None:
    assert token.decode_uint("0x" + abi_encode(["uint256"], [value]).hex()) == value


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        token.encode_transfer("0x1234", 1)
    with pytest.raises(ValueError):
        token.encode_transfer("0x" + "ab" * 20, -1)
    with pytest.raises(ValueError):
        token.encode_transfer("0x" + "ab" * 20, 2**256)
    with pytest.raises(ValueError):
        token.decode_uint("0x" + "00" * 31)
    with pytest.raises(ValueError):
        token.decode_uint("0x")
    assert "0x" + keccak(text="Transfer(address,address,uint256)").hex() == token.TRANSFER_TOPIC
