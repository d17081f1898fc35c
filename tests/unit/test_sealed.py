"""AES-256-GCM streaming seal of backups (SPEC §9.6.3): round trip for any size, and any cut, dropped,
reordered or altered byte, or another key, is refused."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.ops import sealed

KEY = bytes(range(32))
CHUNK = 64


def _seal(data: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    sealed.seal(io.BytesIO(data), out, key, chunk=CHUNK)
    return out.getvalue()


def _unseal(blob: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    sealed.unseal(io.BytesIO(blob), out, key)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=CHUNK * 5))
def test_round_trip(data: bytes) -> None:
    blob = _seal(data)
    assert sealed.is_sealed(blob)
    assert _unseal(blob) == data


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=CHUNK * 4), st.data())
def test_any_altered_byte_or_cut_is_refused(data: bytes, draw: st.DataObject) -> None:
    blob = _seal(data)
    position = draw.draw(st.integers(0, len(blob) - 1))
    altered = bytearray(blob)
    altered[position] ^= draw.draw(st.integers(1, 255))
    with pytest.raises(sealed.SealError):
        _unseal(bytes(altered))
    cut = draw.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(sealed.SealError):
        _unseal(blob[:cut])


def test_plaintext_does_not_appear() -> None:
    data = b"balance 125.5 USDT " * 20
    assert b"balance" not in _seal(data)


def test_dropped_whole_last_chunk_and_other_key_are_refused() -> None:
    data = os.urandom(CHUNK * 3)
    blob = _seal(data)
    header, chunk_len = len(sealed.MAGIC) + 8, 4 + CHUNK + 16
    with pytest.raises(sealed.SealError, match="truncated"):
        _unseal(blob[: header + 2 * chunk_len])  # ends exactly at a chunk boundary
    swapped = (
        blob[:header] + blob[header + chunk_len : header + 2 * chunk_len] + blob[header : header + chunk_len]
    )
    with pytest.raises(sealed.SealError):
        _unseal(swapped + blob[header + 2 * chunk_len :])
    with pytest.raises(sealed.SealError, match="another key"):
        _unseal(blob, bytes(32))
