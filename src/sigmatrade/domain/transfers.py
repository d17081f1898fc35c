"""The identity of an on-chain token transfer (SPEC §4.3.5): what stays the same when a reorg moves it.

A reorg can re-include a transaction in another block and at another log index, so neither is part of
the identity. What a reorg cannot change is the transaction (its hash covers the signed bytes) and what
the log says: the token, the sender, the recipient and the value. Two logs of one transaction saying
the same thing are told apart by their occurrence: their rank among such logs, in log-index order
(the relative order of a transaction's own logs is fixed by its execution).

The key is the SHA-256 of the canonical text of these fields: fixed length (64 hex digits), usable as
a unique column and inside ledger idempotency keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TransferIdentity:
    chain_id: int
    tx_hash: str
    token: str
    from_address: str
    to_address: str
    raw_value: int
    occurrence: int = 0

    @property
    def key(self) -> str:
        text = "|".join(
            (
                str(self.chain_id),
                self.tx_hash.lower(),
                self.token.lower(),
                self.from_address.lower(),
                self.to_address.lower(),
                str(int(self.raw_value)),
                str(int(self.occurrence)),
            )
        )
        return hashlib.sha256(text.encode("ascii")).hexdigest()


def content(tx_hash: str, token: str, from_address: str, to_address: str, raw_value: int) -> tuple[str, ...]:
    """What two logs must share to be the same kind of transfer within one transaction."""
    return (tx_hash.lower(), token.lower(), from_address.lower(), to_address.lower(), str(int(raw_value)))


def occurrences(items: Iterable[tuple[tuple[str, ...], int]]) -> dict[tuple[tuple[str, ...], int], int]:
    """(content, log index) → occurrence: the rank among logs of the same content, by log index."""
    ranked: dict[tuple[tuple[str, ...], int], int] = {}
    seen: dict[tuple[str, ...], int] = {}
    for item in sorted(set(items), key=lambda pair: (pair[0], pair[1])):
        ranked[item] = seen.get(item[0], 0)
        seen[item[0]] = ranked[item] + 1
    return ranked
