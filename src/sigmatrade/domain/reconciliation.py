"""Reconciliation of the books with the chain (SPEC §4.7): the pure comparison.

Each side is a map from a movement's identity to the movement: incoming token transfers are keyed by
their on-chain identity (``domain.transfers``), outgoing ones by transaction hash (one token transfer
per payout transaction). A movement on chain the books do not have, one the books have that the chain
does not, or one whose amounts differ is a :class:`Difference`. Movements the books still hold as
pending (not yet final) are left out of the comparison and reported apart.

On the outgoing side the three kinds read: ``not_in_books`` — an *unsettled* transfer (money left a
payout wallet and no confirmed payout accounts for it), ``not_on_chain`` — a *missing* transfer (a
confirmed payout whose transaction moved nothing), ``amount`` — *mismatched* amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

INCOMING = "incoming"
OUTGOING = "outgoing"

NOT_IN_BOOKS = "not_in_books"  # moved on chain, nothing (or nothing final) in the books
NOT_ON_CHAIN = "not_on_chain"  # in the books, no such movement on chain
AMOUNT = "amount"  # both have it, amounts differ


@dataclass(frozen=True)
class Movement:
    key: str
    tx_hash: str
    amount: Decimal
    counterparty: str = ""  # the sender of an incoming transfer, the recipient of an outgoing one
    recipient: str = ""
    ref: str = ""  # what the books call it (e.g. the payouts settled by the transaction)
    block: int = 0  # the block of a chain movement (0: not known or not needed)


@dataclass(frozen=True)
class Difference:
    side: str
    kind: str
    tx_hash: str
    chain_amount: Decimal | None
    books_amount: Decimal | None
    counterparty: str = ""
    ref: str = ""


def total(movements: Mapping[str, Movement]) -> Decimal:
    return sum((m.amount for m in movements.values()), Decimal(0))


def compare(
    side: str,
    chain: Mapping[str, Movement],
    books: Mapping[str, Movement],
    pending: frozenset[str] | set[str] = frozenset(),
) -> list[Difference]:
    """Every movement the two sides do not agree on, ordered by transaction hash."""
    found: list[Difference] = []
    for key, moved in chain.items():
        if key in pending:
            continue
        booked = books.get(key)
        if booked is None:
            found.append(
                Difference(side, NOT_IN_BOOKS, moved.tx_hash, moved.amount, None, moved.counterparty)
            )
        elif booked.amount != moved.amount:
            found.append(
                Difference(
                    side, AMOUNT, moved.tx_hash, moved.amount, booked.amount, moved.counterparty, booked.ref
                )
            )
    for key, booked in books.items():
        if key not in chain and key not in pending:
            found.append(
                Difference(
                    side, NOT_ON_CHAIN, booked.tx_hash, None, booked.amount, booked.counterparty, booked.ref
                )
            )
    return sorted(found, key=lambda d: (d.side, d.tx_hash, d.kind))
