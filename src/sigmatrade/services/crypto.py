"""Secrets at rest (SPEC §11.1): argon2id hashes and AES-256-GCM with a key id prefix.

Ciphertext format: ``v1:<key id>:<base64url(nonce 12 bytes + ciphertext + tag)>``; the key id is
the first 8 hex characters of SHA-256(key), so rotated keys (``ENCRYPTION_KEYS_OLD``) still decrypt.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@cache
def _hasher() -> PasswordHasher:
    """argon2id with the library's (RFC 9106 low-memory) defaults; loaded on the first hash or check
    (0.4 MB a process that never sees a password does not hold, docs/performance.md)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(hashed: str, secret: str) -> bool:
    """Constant-time verification; False on mismatch or a malformed hash."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(hashed, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    from argon2.exceptions import InvalidHashError

    try:
        return _hasher().check_needs_rehash(hashed)
    except InvalidHashError:
        return True


# Argon2 is slow by design and uses several cores per hash: hashes run off the event loop on a small
# pool of their own, so a burst of registrations queues here instead of starving every other update.
_HASH_POOL = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="argon2")


async def hash_secret_off_loop(secret: str) -> str:
    """:func:`hash_secret` on the argon2 pool: the event loop keeps running (other updates, and the row
    lock the caller may hold, wait less)."""
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, hash_secret, secret)


async def verify_secret_off_loop(hashed: str, secret: str) -> bool:
    """:func:`verify_secret` on the argon2 pool (same result, the event loop keeps running)."""
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, verify_secret, hashed, secret)


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class DecryptionError(ValueError):
    pass


@dataclass(frozen=True)
class Cipher:
    current: bytes
    old: tuple[bytes, ...] = ()

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def encrypt(self, plaintext: str, associated: bytes = b"") -> str:
        nonce = os.urandom(12)
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # loaded on first use (7 MB)

        sealed = AESGCM(self.current).encrypt(nonce, plaintext.encode(), associated or None)
        return f"v1:{self.current_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, associated: bytes = b"") -> str:
        try:
            version, kid, body = token.split(":", 2)
        except ValueError as exc:
            raise DecryptionError("malformed ciphertext") from exc
        if version != "v1":
            raise DecryptionError("unknown ciphertext version")
        keys = {key_id(k): k for k in (self.current, *self.old)}
        key = keys.get(kid)
        if key is None:
            raise DecryptionError(f"no key with id {kid}")
        raw = base64.urlsafe_b64decode(body.encode())
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            return AESGCM(key).decrypt(raw[:12], raw[12:], associated or None).decode()
        except Exception as exc:
            raise DecryptionError("ciphertext does not authenticate") from exc
