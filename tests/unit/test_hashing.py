"""Keccak-256 in plain Python (domain/hashing.py) against known vectors and pycryptodome's C version."""

from __future__ import annotations

from Crypto.Hash import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.domain.hashing import keccak256


def reference(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def test_known_vectors() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    # the ERC-20 Transfer event topic and the transfer(address,uint256) selector
    assert keccak256(b"Transfer(address,address,uint256)").hex() == (
        "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    )
    assert keccak256(b"transfer(address,uint256)")[:4].hex() == "a9059cbb"


def test_every_length_around_the_block_boundaries() -> None:
    """Padding edge cases: a message that fills the 136-byte block exactly, one byte short of it (the
    0x01 and 0x80 pad bytes share one byte), and several blocks."""
    for n in (*range(0, 140), *range(268, 276), 408, 1000):
        data = bytes((i * 7 + n) % 256 for i in range(n))
        assert keccak256(data) == reference(data), n


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=700))
def test_matches_pycryptodome(data: bytes) -> None:
    assert keccak256(data) == reference(data)
