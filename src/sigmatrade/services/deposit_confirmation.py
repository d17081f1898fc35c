"""Deposit matching and confirmation (SPEC §3.3.4, §3.4.4, §4.3.5 c–f, §4.3.6, §4.4.4).

Shared by the deposit watcher (detection), the confirmation step (confirm, or queue as unmatched) and
deposit activation (late matching). Callers own the transaction; every function here works inside it,
and the messages of ``services.deposit_notices`` are sent after commit.

* **Matching** (§4.3.5 c–e): the sender's ``pending`` deposits whose amount is within tolerance
  (``fixed``: |received − amount| ≤ tolerance_fixed; ``percent``: ≤ amount × tolerance_percent / 100)
  and whose deadline had not passed when the transfer was mined (block time; detection time when the
  node gives none) — the oldest wins. The claim is a conditional update on ``status = 'pending'``; a
  lost race moves on to the next candidate. Without a candidate the reason is ``deposit_expired``
  (a deposit of matching amount whose deadline passed within the last 48 h), ``amount_mismatch``
  (a pending deposit of another amount) or ``no_pending_deposit``.
* **Confirmation** (§3.3.4): one conditional update moves the deposit to ``confirmed`` (snapshotting
  the received amount, the transaction and ``reward.accrual_period_hours``), then the principal entry
  (``deposit_confirmed``, or ``unmatched_assigned`` for a late match), the referral commissions of every
  closure row of the depositor (§3.4.4: ``credited`` with a ``referral_commission`` entry keyed
  ``refcomm:deposit:<deposit>:<beneficiary>``, or ``skipped`` for banned / earnings-blocked uplines)
  and the audit records.
* **Unmatched** (§4.4.4): ``unmatched_received`` entry + an ``open`` review item.
* **Late matching** (§4.3.6): a new pending deposit claims the oldest open, confirmed review item of
  reason ``no_pending_deposit`` / ``deposit_expired`` from the user's wallet with a matching amount that
  arrived within ``deposit.pending_ttl_hours`` (conditional update ``open`` → ``assigned``) and is
  confirmed at once through the assignment entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock, metrics
from sigmatrade.db.models import ChainTransfer, Deposit, LedgerAccount, Referral, ReferralCommission, User
from sigmatrade.db.models import UnmatchedDeposit as UnmatchedItem
from sigmatrade.domain import referrals
from sigmatrade.domain.enums import (
    CommissionSource,
    CommissionStatus,
    ConfirmationStatus,
    DepositStatus,
    MatchStatus,
    UnmatchedReason,
    UnmatchedStatus,
)
from sigmatrade.domain.matching import MatchRules
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.journal import post
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, deposit_notices
from sigmatrade.services.deposit_events import CommissionNote, Confirmation, Queued
from sigmatrade.services.settings import SettingsStore

log = get_logger("sigmatrade.deposits")

EXPIRED_MATCH_WINDOW = timedelta(hours=48)
LATE_MATCH_REASONS = (UnmatchedReason.NO_PENDING_DEPOSIT, UnmatchedReason.DEPOSIT_EXPIRED)
LATE_MATCH_NOTE = "matched automatically when the user activated the deposit"


# ---------------------------------------------------------------------------------------------- rules
async def load_rules(store: SettingsStore) -> MatchRules:
    values = await store.many(
        [
            "deposit.tolerance_mode",
            "deposit.tolerance_fixed",
            "deposit.tolerance_percent",
            "deposit.dust_floor",
            "deposit.pending_ttl_hours",
        ]
    )
    return MatchRules(
        mode=str(values["deposit.tolerance_mode"]),
        fixed=values["deposit.tolerance_fixed"],
        percent=values["deposit.tolerance_percent"],
        dust_floor=values["deposit.dust_floor"],
        pending_ttl_hours=int(values["deposit.pending_ttl_hours"]),
    )


@dataclass(frozen=True)
class ConfirmationTerms:
    accrual_period_hours: int = 24
    referral_rates: tuple[Decimal, ...] = (Decimal(3), Decimal(2), Decimal(5))


async def load_confirmation_terms(store: SettingsStore) -> ConfirmationTerms:
    values = await store.many(["reward.accrual_period_hours", "referral.rates"])
    return ConfirmationTerms(
        accrual_period_hours=int(values["reward.accrual_period_hours"]),
        referral_rates=tuple(values["referral.rates"]),
    )


# ---------------------------------------------------------------------------------------------- matching
@dataclass
class Match:
    status: MatchStatus
    reason: UnmatchedReason | None = None
    user: User | None = None
    deposit: Deposit | None = None


async def sender_user(session: AsyncSession, address: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.wallet_address_lc == address.lower()))
    return user


async def pending_candidates(
    session: AsyncSession, user_id: int, received: Decimal, rules: MatchRules, mined_at: datetime
) -> list[Deposit]:
    """The user's pending deposits matching ``received`` whose deadline was after ``mined_at``, oldest first.

    Amounts are compared in Python (exact on both dialects)."""
    rows = (
        await session.scalars(
            select(Deposit)
            .where(Deposit.user_id == user_id, Deposit.status == DepositStatus.PENDING)
            .order_by(Deposit.created_at, Deposit.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    return [d for d in rows if d.expires_at > mined_at and rules.matches(d.amount, received)]


async def unmatched_reason(
    session: AsyncSession, user_id: int, received: Decimal, rules: MatchRules, now: datetime
) -> UnmatchedReason:
    """Why a registered, non-banned sender's transfer found no deposit (§4.3.5 e)."""
    recent = (
        await session.scalars(
            select(Deposit).where(
                Deposit.user_id == user_id,
                Deposit.status.in_([DepositStatus.EXPIRED, DepositStatus.PENDING]),
                Deposit.expires_at >= now - EXPIRED_MATCH_WINDOW,
            )
        )
    ).all()
    late = [
        d
        for d in recent
        if rules.matches(d.amount, received) and (d.status == DepositStatus.EXPIRED or d.expires_at <= now)
    ]
    if late:
        return UnmatchedReason.DEPOSIT_EXPIRED
    has_pending = await session.scalar(
        select(Deposit.id).where(Deposit.user_id == user_id, Deposit.status == DepositStatus.PENDING).limit(1)
    )
    if has_pending is not None:
        return UnmatchedReason.AMOUNT_MISMATCH
    return UnmatchedReason.NO_PENDING_DEPOSIT


async def _claim_for_detection(
    session: AsyncSession, deposit: Deposit, transfer: ChainTransfer, now: datetime
) -> bool:
    result = await session.execute(
        update(Deposit)
        .where(Deposit.id == deposit.id, Deposit.status == DepositStatus.PENDING)
        .values(
            status=DepositStatus.DETECTED,
            transfer_id=transfer.id,
            tx_hash=transfer.tx_hash,
            block_number=transfer.block_number,
            detected_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def detect(session: AsyncSession, transfer: ChainTransfer, rules: MatchRules, now: datetime) -> Match:
    """Classify a newly recorded (or revived) transfer and claim its deposit (§4.3.5 b–e).

    The transfer row must be flushed (it needs an id). Its match fields are set from the result."""
    user = await sender_user(session, transfer.from_address)
    if rules.is_dust(transfer.amount):
        match = Match(MatchStatus.DUST, user=user)
    elif user is None:
        match = Match(MatchStatus.UNMATCHED, UnmatchedReason.UNKNOWN_SENDER)
    elif user.is_banned:
        match = Match(MatchStatus.UNMATCHED, UnmatchedReason.USER_BANNED, user)
    else:
        mined_at = transfer.block_time or now
        match = Match(MatchStatus.UNMATCHED, user=user)
        for candidate in await pending_candidates(session, user.id, transfer.amount, rules, mined_at):
            if await _claim_for_detection(session, candidate, transfer, now):
                match = Match(MatchStatus.MATCHED, None, user, candidate)
                break
        if match.deposit is None:
            match.reason = await unmatched_reason(session, user.id, transfer.amount, rules, now)
    apply_match(transfer, match)
    await session.flush()
    if match.deposit is not None:
        await session.refresh(match.deposit)
    return match


def apply_match(transfer: ChainTransfer, match: Match) -> None:
    transfer.match_status = match.status
    transfer.unmatched_reason = match.reason
    transfer.user_id = match.user.id if match.user is not None else None
    transfer.deposit_id = match.deposit.id if match.deposit is not None else None


# ---------------------------------------------------------------------------------------------- confirmation
async def confirm_deposit(
    session: AsyncSession,
    *,
    deposit_id: int,
    transfer: ChainTransfer,
    from_status: DepositStatus,
    terms: ConfirmationTerms,
    now: datetime,
    unmatched_id: int | None = None,
) -> Confirmation | None:
    """Deposit ``from_status`` → ``confirmed`` with its principal entry, commissions and audit.

    Returns None (nothing written) when the deposit is no longer in ``from_status`` (or, when
    detected, no longer bound to ``transfer``)."""
    conditions: list[Any] = [Deposit.id == deposit_id, Deposit.status == from_status]
    if from_status == DepositStatus.DETECTED:
        conditions.append(Deposit.transfer_id == transfer.id)
    before = await session.scalar(select(Deposit.detected_at).where(Deposit.id == deposit_id))
    values: dict[str, Any] = {
        "status": DepositStatus.CONFIRMED,
        "confirmed_at": now,
        "received_amount": transfer.amount,
        "transfer_id": transfer.id,
        "tx_hash": transfer.tx_hash,
        "block_number": transfer.block_number,
        "accrual_period_seconds": terms.accrual_period_hours * 3600,
        "updated_at": now,
    }
    if from_status == DepositStatus.PENDING:
        values["detected_at"] = transfer.detected_at or now
    result = await session.execute(
        update(Deposit).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return None
    deposit = await session.get(Deposit, deposit_id, populate_existing=True)
    assert deposit is not None
    user = await session.get(User, deposit.user_id, populate_existing=True)
    assert user is not None
    received = transfer.amount
    if unmatched_id is not None:
        spec = entries.unmatched_assigned(unmatched_id, user.id, deposit.id, received)
    else:
        spec = entries.deposit_confirmed(deposit.id, user.id, received)
    await post(session, spec)
    commissions = await credit_commissions(session, deposit, user, terms.referral_rates)
    await audit.log(
        session,
        audit.SYSTEM,
        "deposit_confirmed",
        target_type="deposit",
        target_id=deposit.id,
        amount=received,
        before={"status": str(from_status)},
        after={"status": str(DepositStatus.CONFIRMED)},
        details={
            "user_id": user.id,
            "level": deposit.level,
            "nominal": deposit.amount,
            "transfer_id": transfer.id,
            "tx_hash": transfer.tx_hash,
            "unmatched_id": unmatched_id,
            "commissions": len(commissions),
        },
    )
    return Confirmation(
        deposit=deposit,
        user=user,
        received=received,
        tx_hash=transfer.tx_hash,
        transfer_id=transfer.id,
        detected_at=before if from_status == DepositStatus.DETECTED else None,
        commissions=commissions,
        unmatched_id=unmatched_id,
    )


async def credit_commissions(
    session: AsyncSession, deposit: Deposit, payer: User, rates: Sequence[Decimal]
) -> list[CommissionNote]:
    """Referral commissions on a confirmed deposit (§3.4.4), in the caller's transaction."""
    rows = (
        await session.execute(
            select(Referral.depth, User)
            .join(User, User.id == Referral.ancestor_id)
            .where(Referral.descendant_id == payer.id)
            .order_by(Referral.depth)
        )
    ).all()
    by_id = {u.id: u for _, u in rows}
    uplines = [referrals.Upline(u.id, int(depth), u.is_banned, u.earnings_blocked) for depth, u in rows]
    notes: list[CommissionNote] = []
    for line in referrals.plan_commissions(deposit.amount, uplines, rates):
        entry_id: int | None = None
        balance: Decimal | None = None
        if line.credited:
            posted = await post(
                session,
                entries.referral_commission(
                    CommissionSource.DEPOSIT, deposit.id, line.beneficiary_id, line.amount
                ),
            )
            entry_id = posted.entry.id
            balance = await session.scalar(
                select(LedgerAccount.balance).where(
                    LedgerAccount.code == accounts.available(line.beneficiary_id)
                )
            )
        status = CommissionStatus.CREDITED if line.credited else CommissionStatus.SKIPPED
        row = ReferralCommission(
            source_type=CommissionSource.DEPOSIT,
            source_id=deposit.id,
            payer_user_id=payer.id,
            beneficiary_user_id=line.beneficiary_id,
            depth=line.depth,
            rate=line.rate,
            base_amount=line.base_amount,
            amount=line.amount,
            status=status,
            skip_reason=line.skip_reason,
            journal_entry_id=entry_id,
        )
        session.add(row)
        await session.flush()
        await audit.log(
            session,
            audit.SYSTEM,
            "referral_commission",
            target_type="referral_commission",
            target_id=row.id,
            amount=line.amount,
            details={
                "source": "deposit",
                "deposit_id": deposit.id,
                "payer_user_id": payer.id,
                "beneficiary_user_id": line.beneficiary_id,
                "depth": line.depth,
                "rate": line.rate,
                "status": str(status),
                "skip_reason": str(line.skip_reason) if line.skip_reason else None,
            },
        )
        notes.append(
            CommissionNote(
                by_id[line.beneficiary_id],
                line.depth,
                line.amount,
                status,
                str(line.skip_reason) if line.skip_reason else None,
                balance,
            )
        )
    return notes


async def queue_unmatched(
    session: AsyncSession, transfer: ChainTransfer, reason: UnmatchedReason, suspected_user_id: int | None
) -> Queued:
    """``unmatched_received`` entry + an open review item for a confirmed, unmatched transfer."""
    await post(session, entries.unmatched_received(transfer.id, transfer.amount))
    item = UnmatchedItem(
        transfer_id=transfer.id,
        reason=reason,
        status=UnmatchedStatus.OPEN,
        suspected_user_id=suspected_user_id,
    )
    session.add(item)
    await session.flush()
    await audit.log(
        session,
        audit.SYSTEM,
        "unmatched_received",
        target_type="unmatched_deposit",
        target_id=item.id,
        amount=transfer.amount,
        details={
            "transfer_id": transfer.id,
            "tx_hash": transfer.tx_hash,
            "sender": transfer.from_address,
            "reason": str(reason),
            "suspected_user_id": suspected_user_id,
        },
    )
    return Queued(item.id, transfer.id, transfer.amount, transfer.from_address, reason, transfer.tx_hash)


async def settle_transfer(
    session: AsyncSession,
    transfer: ChainTransfer,
    *,
    rules: MatchRules,
    terms: ConfirmationTerms,
    now: datetime,
) -> Confirmation | Queued | None:
    """What a transfer that just reached confirmation does (§4.4.4), in the caller's transaction.

    Matched → its deposit is confirmed. Unmatched, not dust → matching is re-run against the sender's
    current pending deposits (a match is confirmed directly); otherwise the review queue. Dust → nothing."""
    if transfer.match_status == MatchStatus.DUST:
        return None
    if transfer.match_status == MatchStatus.MATCHED and transfer.deposit_id is not None:
        confirmation = await confirm_deposit(
            session,
            deposit_id=transfer.deposit_id,
            transfer=transfer,
            from_status=DepositStatus.DETECTED,
            terms=terms,
            now=now,
        )
        if confirmation is not None:
            return confirmation
        log.error(
            "matched_deposit_not_detected",
            transfer_id=transfer.id,
            deposit_id=transfer.deposit_id,
        )
    user = await sender_user(session, transfer.from_address)
    reason: UnmatchedReason
    if user is None:
        reason = UnmatchedReason.UNKNOWN_SENDER
    elif user.is_banned:
        reason = UnmatchedReason.USER_BANNED
    else:
        mined_at = transfer.block_time or now
        for candidate in await pending_candidates(session, user.id, transfer.amount, rules, mined_at):
            confirmation = await confirm_deposit(
                session,
                deposit_id=candidate.id,
                transfer=transfer,
                from_status=DepositStatus.PENDING,
                terms=terms,
                now=now,
            )
            if confirmation is not None:
                apply_match(transfer, Match(MatchStatus.MATCHED, None, user, candidate))
                await session.flush()
                return confirmation
        reason = await unmatched_reason(session, user.id, transfer.amount, rules, now)
    apply_match(transfer, Match(MatchStatus.UNMATCHED, reason, user))
    await session.flush()
    return await queue_unmatched(session, transfer, reason, user.id if user is not None else None)


# ---------------------------------------------------------------------------------------------- late match
async def late_match_in(
    session: AsyncSession, store: SettingsStore, deposit_id: int, *, now: datetime | None = None
) -> Confirmation | None:
    """§4.3.6 in the caller's transaction: claim the oldest matching open review item for the pending
    deposit ``deposit_id`` and confirm the deposit through the assignment entry. None when nothing
    matches or the deposit is no longer pending (nothing written then)."""
    now = now or clock.now()
    deposit = await session.get(Deposit, deposit_id, populate_existing=True)
    if deposit is None or deposit.status != DepositStatus.PENDING:
        return None
    user = await session.get(User, deposit.user_id, populate_existing=True)
    if user is None or user.is_banned:
        return None
    rules = await load_rules(store)
    terms = await load_confirmation_terms(store)
    since = now - timedelta(hours=rules.pending_ttl_hours)
    rows = (
        await session.execute(
            select(UnmatchedItem.id, ChainTransfer)
            .join(ChainTransfer, ChainTransfer.id == UnmatchedItem.transfer_id)
            .where(
                UnmatchedItem.status == UnmatchedStatus.OPEN,
                UnmatchedItem.reason.in_(LATE_MATCH_REASONS),
                ChainTransfer.from_address == user.wallet_address_lc,
                ChainTransfer.confirmation_status == ConfirmationStatus.CONFIRMED,
                ChainTransfer.detected_at >= since,
            )
            .order_by(ChainTransfer.detected_at, ChainTransfer.id)
        )
    ).all()
    for item_id, transfer in rows:
        if not rules.matches(deposit.amount, transfer.amount):
            continue
        savepoint = await session.begin_nested()
        try:
            claimed = await session.execute(
                update(UnmatchedItem)
                .where(UnmatchedItem.id == item_id, UnmatchedItem.status == UnmatchedStatus.OPEN)
                .values(
                    status=UnmatchedStatus.ASSIGNED,
                    assigned_deposit_id=deposit_id,
                    resolved_at=now,
                    note=LATE_MATCH_NOTE,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(claimed, "rowcount", 0):
                await savepoint.rollback()
                continue
            confirmation = await confirm_deposit(
                session,
                deposit_id=deposit_id,
                transfer=transfer,
                from_status=DepositStatus.PENDING,
                terms=terms,
                now=now,
                unmatched_id=item_id,
            )
            if confirmation is None:
                await savepoint.rollback()
                return None
            apply_match(transfer, Match(MatchStatus.MATCHED, None, user, deposit))
            await session.flush()
            await audit.log(
                session,
                audit.SYSTEM,
                "unmatched_assigned",
                target_type="unmatched_deposit",
                target_id=item_id,
                amount=transfer.amount,
                before={"status": str(UnmatchedStatus.OPEN)},
                after={"status": str(UnmatchedStatus.ASSIGNED), "deposit_id": deposit_id},
                details={"automatic": True, "transfer_id": transfer.id, "user_id": user.id},
            )
            await savepoint.commit()
        except BaseException:
            if savepoint.is_active:
                await savepoint.rollback()
            raise
        return confirmation
    return None


async def late_match(rt: Runtime, deposit_id: int) -> Confirmation | None:
    """§4.3.6 in its own transaction, then the notifications (for deposit activation)."""
    async with rt.db.transaction() as session:
        confirmation = await late_match_in(session, rt.store, deposit_id)
    if confirmation is not None:
        metrics.deposits_total.labels(event="confirmed").inc()
        await deposit_notices.notify_confirmed(rt, confirmation)
    return confirmation
