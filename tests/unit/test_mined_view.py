"""What a payout decision may read from the endpoints' answers (chain/provider.MinedView): a receipt
without a status is an unknown outcome, never a revert; nothing is proven by an empty or partial view."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.chain.provider import MinedView, receipt_status

STATUS = st.sampled_from([0, 1, None])


def test_a_receipt_without_a_status_is_an_unknown_outcome() -> None:
    assert receipt_status({"blockNumber": "0x10", "blockHash": "0xab"}) is None
    assert receipt_status({"blockNumber": "0x10", "status": "0x0"}) == 0
    assert receipt_status({"blockNumber": "0x10", "status": "0x1"}) == 1


@given(st.booleans(), st.frozensets(STATUS), st.integers(min_value=0, max_value=3))
def test_no_decision_without_every_answer_or_against_a_known_outcome(
    answered: bool, statuses: frozenset[int | None], voters: int
) -> None:
    view = MinedView(answered=answered, statuses=statuses, voters=voters)
    if view.none_mined or view.none_paid:  # a conflict, a revert or a failure may be declared only ...
        assert answered  # ... when every endpoint answered
    if view.none_paid:
        assert 1 not in statuses and None not in statuses  # no success, and no unknown outcome
    if view.none_mined:
        assert not statuses
    if view.all_succeeded:
        assert voters > 0 and statuses == {1}
