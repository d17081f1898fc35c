"""The entry catalogue of SPEC §3.5.2: which accounts move, and the idempotency key of each.

Money that arrived on chain is keyed by the transfer's on-chain identity (``transfer_key``, see
``domain.transfers``), never by a row id: a transfer recorded twice can still be credited only once.

Every money movement of the product is built here and nowhere else.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sigmatrade.domain.enums import EntryType, SystemAccount
from sigmatrade.ledger import accounts as acc
from sigmatrade.ledger.journal import EntrySpec, Posting

_S = acc.system_code


def _pair(debit: str, credit: str, amount: Decimal) -> tuple[Posting, Posting]:
    if amount <= 0:
        raise ValueError("entry amount must be positive")
    return (Posting(debit, -amount), Posting(credit, amount))


def deposit_confirmed(transfer_key: str, deposit_id: int, user_id: int, received: Decimal) -> EntrySpec:
    """The principal of a deposit, keyed by the on-chain transfer that paid it (credited once)."""
    return EntrySpec(
        key=f"deposit:{transfer_key}:confirm",
        entry_type=EntryType.DEPOSIT_CONFIRMED,
        postings=_pair(_S(SystemAccount.DEPOSITS_RECEIVED), acc.principal(user_id), received),
        reference_type="deposit",
        reference_id=deposit_id,
    )


def unmatched_received(transfer_key: str, transfer_id: int, received: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"unmatched:{transfer_key}:received",
        entry_type=EntryType.UNMATCHED_RECEIVED,
        postings=_pair(_S(SystemAccount.DEPOSITS_RECEIVED), _S(SystemAccount.UNMATCHED_SUSPENSE), received),
        reference_type="transfer",
        reference_id=transfer_id,
    )


def unmatched_assigned(transfer_key: str, user_id: int, deposit_id: int, received: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"unmatched:{transfer_key}:assign",
        entry_type=EntryType.UNMATCHED_ASSIGNED,
        postings=_pair(_S(SystemAccount.UNMATCHED_SUSPENSE), acc.principal(user_id), received),
        reference_type="deposit",
        reference_id=deposit_id,
    )


def unmatched_ignored(transfer_key: str, unmatched_id: int, received: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"unmatched:{transfer_key}:ignore",
        entry_type=EntryType.UNMATCHED_IGNORED,
        postings=_pair(_S(SystemAccount.UNMATCHED_SUSPENSE), _S(SystemAccount.ADJUSTMENTS), received),
        reference_type="unmatched",
        reference_id=unmatched_id,
    )


def refund_settled(payout_id: int, amount: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"payout:{payout_id}:settle",
        entry_type=EntryType.REFUND_SETTLED,
        postings=_pair(_S(SystemAccount.UNMATCHED_SUSPENSE), _S(SystemAccount.PAYOUTS), amount),
        reference_type="payout",
        reference_id=payout_id,
    )


def reward_accrual(deposit_id: int, session_id: int, period: int, user_id: int, amount: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"accrual:{deposit_id}:{session_id}:{period}",
        entry_type=EntryType.REWARD_ACCRUAL,
        postings=_pair(_S(SystemAccount.REWARDS_EXPENSE), acc.available(user_id), amount),
        reference_type="deposit",
        reference_id=deposit_id,
    )


def referral_commission(source_type: str, source_id: int, beneficiary_id: int, amount: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"refcomm:{source_type}:{source_id}:{beneficiary_id}",
        entry_type=EntryType.REFERRAL_COMMISSION,
        postings=_pair(_S(SystemAccount.REFERRAL_EXPENSE), acc.available(beneficiary_id), amount),
        reference_type=source_type,
        reference_id=source_id,
    )


def withdrawal_hold(payout_id: int, user_id: int, amount: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"payout:{payout_id}:hold",
        entry_type=EntryType.WITHDRAWAL_HOLD,
        postings=_pair(acc.available(user_id), acc.held(user_id), amount),
        reference_type="payout",
        reference_id=payout_id,
    )


def withdrawal_release(payout_id: int, user_id: int, amount: Decimal) -> EntrySpec:
    return EntrySpec(
        key=f"payout:{payout_id}:release",
        entry_type=EntryType.WITHDRAWAL_RELEASE,
        postings=_pair(acc.held(user_id), acc.available(user_id), amount),
        reference_type="payout",
        reference_id=payout_id,
    )


def payout_settled(payout_id: int, user_id: int, amount: Decimal, net: Decimal, fee: Decimal) -> EntrySpec:
    if net + fee != amount or net <= 0 or fee < 0:
        raise ValueError("payout amount must equal net + fee")
    postings = [Posting(acc.held(user_id), -amount), Posting(_S(SystemAccount.PAYOUTS), net)]
    if fee > 0:
        postings.append(Posting(_S(SystemAccount.FEES), fee))
    return EntrySpec(
        key=f"payout:{payout_id}:settle",
        entry_type=EntryType.PAYOUT_SETTLED,
        postings=tuple(postings),
        reference_type="payout",
        reference_id=payout_id,
    )


def adjustment(user_id: int, amount: Decimal, reason: str, key: str | None = None) -> EntrySpec:
    """Credit (amount > 0) or debit (amount < 0) a user's available balance."""
    if amount == 0:
        raise ValueError("adjustment must be non-zero")
    postings = (Posting(_S(SystemAccount.ADJUSTMENTS), -amount), Posting(acc.available(user_id), amount))
    return EntrySpec(
        key=key or f"adjust:{uuid.uuid4()}",
        entry_type=EntryType.ADJUSTMENT,
        postings=postings,
        reference_type="user",
        reference_id=user_id,
        description=reason,
    )
