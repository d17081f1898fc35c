"""AES-256-GCM streaming encryption of backup files (SPEC §9.6.3).

Format: ``MAGIC`` (8 bytes) + nonce prefix (8 random bytes), then chunks. Each chunk is a 4-byte
big-endian ciphertext length followed by the ciphertext with its 16-byte tag. Chunk ``i`` uses the nonce
``prefix || i`` (4 bytes) and authenticates the header, its index and whether it is the last chunk, so a
reordered, dropped, truncated or altered chunk fails authentication, and a file cut at a chunk boundary
lacks its final chunk.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

MAGIC = b"STBKENC1"
CHUNK = 1 << 20
_TAG = 16


class SealError(Exception):
    """The sealed stream is damaged, altered or was sealed with another key."""


def is_sealed(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">I?", index, last)


def _chunks(source: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    current = source.read(size)
    while True:
        following = source.read(size)
        yield current, not following
        if not following:
            return
        current = following


def seal(source: BinaryIO, target: BinaryIO, key: bytes, *, chunk: int = CHUNK) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # loaded when a backup runs (7 MB)

    aes = AESGCM(key)
    header = MAGIC + os.urandom(8)
    target.write(header)
    for index, (plain, last) in enumerate(_chunks(source, min(chunk, CHUNK))):
        nonce = header[len(MAGIC) :] + struct.pack(">I", index)
        cipher = aes.encrypt(nonce, plain, _aad(header, index, last))
        target.write(struct.pack(">I", len(cipher)))
        target.write(cipher)


def unseal(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Decrypt ``source`` into ``target``; :class:`SealError` unless every chunk and the end are intact."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(key)
    header = source.read(len(MAGIC) + 8)
    if len(header) < len(MAGIC) + 8 or not is_sealed(header):
        raise SealError("not an encrypted backup (header missing)")
    index = 0
    while True:
        size_raw = source.read(4)
        if not size_raw:
            raise SealError("the file ends before its last block (truncated)")
        if len(size_raw) != 4:
            raise SealError("the file is truncated")
        (size,) = struct.unpack(">I", size_raw)
        if size < _TAG or size > CHUNK + _TAG:
            raise SealError("a block header is damaged")
        cipher = source.read(size)
        if len(cipher) != size:
            raise SealError("the file is truncated")
        nonce = header[len(MAGIC) :] + struct.pack(">I", index)
        last = _at_end(source)
        try:
            plain = aes.decrypt(nonce, cipher, _aad(header, index, last))
        except InvalidTag:
            raise SealError(
                "authentication failed: the file was altered, truncated or encrypted with another key"
            ) from None
        target.write(plain)
        if last:
            return
        index += 1


def _at_end(source: BinaryIO) -> bool:
    position = source.tell()
    more = source.read(1)
    source.seek(position)
    return not more
