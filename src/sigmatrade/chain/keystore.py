"""Encrypted keystore of the payout wallet (SPEC §2.17, §10.4, §11.1).

A private key enters only through ``sigmatrade wallet set-payout-key`` (stdin), is stored AES-256-GCM
encrypted with ``ENCRYPTION_KEY`` (the address is bound as associated data, so a ciphertext copied
onto another row does not decrypt), and is decrypted only in memory by the payout sender.
Nothing here logs or returns the key material.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.config import Config
from sigmatrade.db.models import WalletKey
from sigmatrade.services import audit
from sigmatrade.services.crypto import Cipher, DecryptionError

if TYPE_CHECKING:
    from sigmatrade.chain.accounts import LocalAccount

_HEX_KEY = re.compile(r"(?:0x)?[0-9a-fA-F]{64}")
_WORD = re.compile(r"[a-z]+")
MNEMONIC_LENGTHS = (12, 15, 18, 21, 24)
INVALID_INPUT = "not a valid private key (64 hex characters) or BIP-39 mnemonic (12 or 24 words)"


class KeystoreError(ValueError):
    """Refused key material or an unusable keystore row; the message never contains the secret."""


@dataclass(frozen=True)
class StoredKey:
    address: str
    key_id: str
    created: bool  # False when the address was already in the keystore (ciphertext replaced)


def cipher_for(config: Config) -> Cipher:
    current, old = config.encryption_keys()
    return Cipher(current, tuple(old))


def parse_secret(text: str) -> LocalAccount:
    """A 64-hex private key (optional 0x) or a mnemonic (first account, m/44'/60'/0'/0/0)."""
    from sigmatrade.chain.accounts import Account  # loaded when a key is used (0.3 s and 5 MB)

    value = text.strip()
    if _HEX_KEY.fullmatch(value):
        try:
            account: LocalAccount = Account.from_key(value)
        except (ValueError, TypeError):
            raise KeystoreError(INVALID_INPUT) from None
        return account
    words = value.lower().split()
    if len(words) in MNEMONIC_LENGTHS and all(_WORD.fullmatch(w) for w in words):
        Account.enable_unaudited_hdwallet_features()
        try:
            derived: LocalAccount = Account.from_mnemonic(" ".join(words))
        except Exception:
            raise KeystoreError(INVALID_INPUT) from None
        return derived
    raise KeystoreError(INVALID_INPUT)


def _associated(address: str) -> bytes:
    return address.lower().encode()


async def store_key(session: AsyncSession, cipher: Cipher, secret: str) -> StoredKey:
    """Encrypt and store the key in the caller's transaction (audited, actor ``cli``, no key material)."""
    account = parse_secret(secret)
    address = account.address
    sealed = cipher.encrypt(account.key.hex(), _associated(address))
    row = await session.scalar(select(WalletKey).where(WalletKey.address == address))
    created = row is None
    if row is None:
        row = WalletKey(address=address, encrypted_key=sealed, key_id=cipher.current_id, created_via="cli")
        session.add(row)
    else:
        row.encrypted_key = sealed
        row.key_id = cipher.current_id
    await session.flush()
    await audit.log(
        session,
        audit.CLI,
        "wallet_key_stored",
        target_type="wallet_key",
        target_id=row.id,
        details={"address": address, "key_id": cipher.current_id, "replaced": not created},
    )
    return StoredKey(address=address, key_id=cipher.current_id, created=created)


async def has_key(session: AsyncSession, address: str) -> bool:
    return await session.scalar(select(WalletKey.id).where(WalletKey.address == address)) is not None


async def load_account(session: AsyncSession, cipher: Cipher, address: str) -> LocalAccount:
    """Decrypt the key of ``address``; the derived address must match the row."""
    row = await session.scalar(select(WalletKey).where(WalletKey.address == address))
    if row is None:
        raise KeystoreError(
            f"no key for {address} in the keystore: load it with `sigmatrade wallet set-payout-key`"
        )
    try:
        secret = cipher.decrypt(row.encrypted_key, _associated(row.address))
    except DecryptionError as exc:
        raise KeystoreError(f"the key of {address} cannot be decrypted ({exc})") from None
    from sigmatrade.chain.accounts import Account

    account: LocalAccount = Account.from_key(secret)
    if account.address != row.address:
        raise KeystoreError(f"the keystore row of {address} holds a different key")
    return account
