"""domain.reconciliation: the comparison of the books with the chain (property-tested)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain.reconciliation import (
    AMOUNT,
    INCOMING,
    NOT_IN_BOOKS,
    NOT_ON_CHAIN,
    OUTGOING,
    Movement,
    compare,
)

amounts = st.decimals(min_value=Decimal("0.000000000000000001"), max_value=Decimal(10**9), places=18)
books_st = st.dictionaries(st.text("abcdef", min_size=1, max_size=4), amounts, max_size=8)


def _moves(values: dict[str, Decimal]) -> dict[str, Movement]:
    return {k: Movement(k, f"0x{k}", v) for k, v in values.items()}


@given(books_st)
def test_identical_sides_agree(values: dict[str, Decimal]) -> None:
    assert compare(INCOMING, _moves(values), _moves(values)) == []


@given(books_st, books_st)
def test_every_disagreement_is_named_once(chain: dict[str, Decimal], books: dict[str, Decimal]) -> None:
    found = compare(INCOMING, _moves(chain), _moves(books))
    expected = {
        *((f"0x{k}", NOT_IN_BOOKS) for k in chain if k not in books),
        *((f"0x{k}", NOT_ON_CHAIN) for k in books if k not in chain),
        *((f"0x{k}", AMOUNT) for k in chain if k in books and chain[k] != books[k]),
    }
    assert {(d.tx_hash, d.kind) for d in found} == expected and len(found) == len(expected)


def test_pending_movements_are_left_out() -> None:
    chain = _moves({"a": Decimal(1), "b": Decimal(2)})
    assert compare(INCOMING, chain, _moves({"a": Decimal(1)}), {"b"}) == []


def test_a_difference_carries_what_the_books_call_the_movement() -> None:
    books = {"a": Movement("a", "0xa", Decimal(2), ref="payouts #7")}
    (missing,) = compare(OUTGOING, {}, books)
    assert missing.kind == NOT_ON_CHAIN and missing.ref == "payouts #7"
    (differs,) = compare(OUTGOING, {"a": Movement("a", "0xa", Decimal(1))}, books)
    assert differs.kind == AMOUNT and differs.ref == "payouts #7" and differs.chain_amount == Decimal(1)
