"""Keccak-256 (Ethereum's hash; not NIST SHA3-256, whose padding differs), in plain Python.

The process hashes rarely and little: an address checksum per registration or wallet change, a signed
transaction's hash per payout, three constants at import. pycryptodome did it in C but its loader pulls
in cffi and cffi's C parser, 3.6 MB of resident memory in every process (SPEC §1.5, idle RSS); this
module costs none and hashes a short input in well under a millisecond. Written from FIPS 202
(Keccak-f[1600], rate 1088 bits, the original Keccak padding 0x01 ... 0x80); the round constants and
rotation offsets are derived here from their definitions, not tabulated. Property-tested against
pycryptodome (``tests/unit/test_hashing.py``).
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_RATE = 136  # bytes: 1600 - 2 * 256 bits of capacity


def _round_constant_bit(t: int) -> int:
    """FIPS 202 Algorithm 5: the output bit of the degree-8 LFSR x^8 + x^6 + x^5 + x^4 + 1."""
    if t % 255 == 0:
        return 1
    r = 1  # bit k of r is R[k]; R = 10000000
    for _ in range(t % 255):
        r <<= 1
        if r & 0x100:
            r ^= 0x171  # R[0], R[4], R[5], R[6] ^= R[8]; R[8] dropped by the truncation below
        r &= 0xFF
    return r & 1


_ROUND_CONSTANTS = tuple(
    sum(_round_constant_bit(j + 7 * i) << ((1 << j) - 1) for j in range(7)) for i in range(24)
)


def _rotations() -> list[int]:
    """FIPS 202 Algorithm 3 (rho): the offset of lane (x, y) at index x + 5y."""
    offsets = [0] * 25
    x, y = 1, 0
    for t in range(24):
        offsets[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return offsets


_ROT = _rotations()
# rho then pi: lane (x, y) of the result is lane ((x + 3y) mod 5, x) rotated by that lane's offset.
_RHO_PI = tuple(
    (x + 5 * y, (x + 3 * y) % 5 + 5 * x, _ROT[(x + 3 * y) % 5 + 5 * x]) for y in range(5) for x in range(5)
)


def _permute(a: list[int]) -> None:
    """Keccak-f[1600] on 25 little-endian 64-bit lanes (index x + 5y), in place."""
    b = [0] * 25
    for rc in _ROUND_CONSTANTS:
        # theta
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        for x in range(5):
            right = c[(x + 1) % 5]
            d = c[(x - 1) % 5] ^ (((right << 1) | (right >> 63)) & _MASK)
            for y in range(0, 25, 5):
                a[x + y] ^= d
        # rho and pi
        for dst, src, n in _RHO_PI:
            v = a[src]
            b[dst] = ((v << n) | (v >> (64 - n))) & _MASK if n else v
        # chi
        for y in range(0, 25, 5):
            b0, b1, b2, b3, b4 = b[y], b[y + 1], b[y + 2], b[y + 3], b[y + 4]
            a[y] = b0 ^ (~b1 & b2)
            a[y + 1] = b1 ^ (~b2 & b3)
            a[y + 2] = b2 ^ (~b3 & b4)
            a[y + 3] = b3 ^ (~b4 & b0)
            a[y + 4] = b4 ^ (~b0 & b1)
        # iota
        a[0] ^= rc


def keccak256(data: bytes) -> bytes:
    padded = bytearray(data)
    padded.append(0x01)
    padded.extend(b"\x00" * (-len(padded) % _RATE))
    padded[-1] |= 0x80
    state = [0] * 25
    for start in range(0, len(padded), _RATE):
        for i in range(_RATE // 8):
            offset = start + 8 * i
            state[i] ^= int.from_bytes(padded[offset : offset + 8], "little")
        _permute(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])
