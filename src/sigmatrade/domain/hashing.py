"""Keccak-256 (Ethereum's hash; not NIST SHA3-256, whose padding differs)."""

from __future__ import annotations

from Crypto.Hash import keccak


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()
