"""The deposit lifecycle (SPEC §3.3, §3.4.4, §4.3.5–§4.4.5): the one module that moves deposits and
observed chain transfers from one status to another. The watcher, the confirmation step, the expiry, the
bot (activation, cancel) and the admin paths call it; nothing else writes those statuses.

Functions taking a ``session`` work inside the caller's transaction; functions taking the ``Runtime``
own theirs and send the messages of ``services.deposit_notices`` after commit. Every transition is a
conditional update on the current status, so a concurrent worker or a re-run changes nothing twice.

* **Record** (§4.3.5): an observed Transfer log becomes a ``chain_transfers`` row (or revives its
  ``orphaned`` row), then **detection**: classified (dust / unmatched reason) and the oldest matching
  ``pending`` deposit of the sender claimed (``pending`` → ``detected``; a lost race moves on to the next
  candidate). Matching reads are :mod:`services.deposit_matching`.
* **Moved** (§4.4.2): the transaction is in another block → new block data, confirmations restart.
* **Confirmation** (§3.3.4, §4.4.4): transfer ``pending`` → ``confirmed``; its deposit ``detected`` →
  ``confirmed`` (snapshotting the received amount, the transaction and ``reward.accrual_period_hours``),
  the principal entry (``deposit_confirmed``, or ``unmatched_assigned`` for a late match), the referral
  commissions of every closure row of the depositor (``credited`` with a ``referral_commission`` entry,
  or ``skipped`` for banned / earnings-blocked uplines) and the audit records. Unmatched, not dust:
  matching is re-run, else an ``unmatched_received`` entry + an ``open`` review item.
* **Orphan** (§4.4.3): transfer ``orphaned``; its deposit ``detected`` → ``pending`` (``expired`` past
  its deadline), the user told.
* **Expiry** (§4.4.5): ``pending`` deposits past ``expires_at`` → ``expired``, the users told.
* **Cancel** (§3.3.2): ``pending`` → ``cancelled`` by the user.
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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock, metrics
from sigmatrade.db.models import ChainTransfer, Deposit, LedgerAccount, Referral, ReferralCommission, User
from sigmatrade.db.models import UnmatchedDeposit as UnmatchedItem
from sigmatrade.domain import referrals
from sigmatrade.domain.enums import (
    CommissionSource,
    CommissionStatus,
    ConfirmationStatus,
    DepositSource,
    DepositStatus,
    MatchStatus,
    UnmatchedReason,
    UnmatchedStatus,
)
from sigmatrade.domain.levels import LevelSpec
from sigmatrade.domain.matching import MatchRules
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.journal import post
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, deposit_notices
from sigmatrade.services.deposit_events import CommissionNote, Confirmation, ObservedTransfer, Queued
from sigmatrade.services.deposit_matching import (
    ConfirmationTerms,
    Match,
    load_confirmation_terms,
    load_rules,
    pending_candidates,
    sender_user,
    unmatched_reason,
)
from sigmatrade.services.settings import SettingsStore

log = get_logger("sigmatrade.deposits")

LATE_MATCH_REASONS = (UnmatchedReason.NO_PENDING_DEPOSIT, UnmatchedReason.DEPOSIT_EXPIRED)
LATE_MATCH_NOTE = "matched automatically when the user activated the deposit"


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
        spec = entries.unmatched_assigned(transfer.transfer_key, user.id, deposit.id, received)
    else:
        spec = entries.deposit_confirmed(transfer.transfer_key, deposit.id, user.id, received)
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


async def open_pending(
    session: AsyncSession,
    *,
    user_id: int,
    spec: LevelSpec,
    amount_tag: Decimal | None,
    pending_ttl_hours: int,
    now: datetime,
) -> Deposit:
    """A user's activation (SPEC §3.3.1): a new ``pending`` deposit with its amount, tag and cap snapshot
    and its deadline. Raises ``IntegrityError`` (savepoint rolled back) when a concurrent activation of
    the same level won: the partial unique indexes are the last guard."""
    deposit = Deposit(
        user_id=user_id,
        level=spec.level,
        amount=spec.amount,
        amount_tag=amount_tag,
        cap_amount=spec.cap_amount,
        status=DepositStatus.PENDING,
        source=DepositSource.USER,
        expires_at=now + timedelta(hours=pending_ttl_hours),
        accrued_total=Decimal(0),
        created_at=now,
        updated_at=now,
    )
    async with session.begin_nested():
        session.add(deposit)
        await session.flush()
    return deposit


async def assign_unmatched(
    session: AsyncSession,
    *,
    transfer: ChainTransfer,
    user_id: int,
    spec: LevelSpec,
    existing: Deposit | None,
    terms: ConfirmationTerms,
    pending_ttl_hours: int,
    now: datetime,
    unmatched_id: int,
) -> Confirmation | None:
    """An admin assigns a queued transfer (SPEC §4.5): the user's pending deposit of that level, or a new
    one (source ``admin_assignment``), is confirmed by the transfer exactly like a matched deposit
    (principal through ``unmatched_assigned``, commissions, audit). None when the deposit moved meanwhile."""
    deposit = existing
    if deposit is None:
        deposit = Deposit(
            user_id=user_id,
            level=spec.level,
            amount=spec.amount,
            cap_amount=spec.cap_amount,
            status=DepositStatus.PENDING,
            source=DepositSource.ADMIN_ASSIGNMENT,
            expires_at=now + timedelta(hours=pending_ttl_hours),
            accrued_total=Decimal(0),
            created_at=now,
            updated_at=now,
        )
        session.add(deposit)
        await session.flush()
    confirmation = await confirm_deposit(
        session,
        deposit_id=deposit.id,
        transfer=transfer,
        from_status=DepositStatus.PENDING,
        terms=terms,
        now=now,
        unmatched_id=unmatched_id,
    )
    if confirmation is not None:
        apply_match(transfer, Match(MatchStatus.MATCHED, None, confirmation.user, deposit))
    return confirmation


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
    await post(session, entries.unmatched_received(transfer.transfer_key, transfer.id, transfer.amount))
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
        if not rules.matches_deposit(deposit.amount, deposit.amount_tag, transfer.amount):
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


# ---------------------------------------------------------------------------------------------- record
@dataclass
class Recorded:
    """A transfer row written (new or revived) by :func:`record_transfer`, with its detection."""

    transfer: ChainTransfer
    match: Match
    revived: bool = False


async def record_transfer(
    session: AsyncSession, observed: ObservedTransfer, rules: MatchRules, now: datetime
) -> Recorded | None:
    """Record an observed transfer and run detection (§4.3.5), in the caller's transaction.

    Idempotent: an existing row is skipped unless it is ``orphaned``, in which case it is revived (new
    block data, confirmation ``pending``, matching re-run). None when nothing was written."""
    key = observed.key
    existing = await session.scalar(
        select(ChainTransfer)
        .where(ChainTransfer.transfer_key == key)
        .execution_options(populate_existing=True)
    )
    revived = False
    if existing is not None:
        if existing.confirmation_status != ConfirmationStatus.ORPHANED:
            await _follow(session, existing, observed, now)
            return None
        done = await session.execute(
            update(ChainTransfer)
            .where(
                ChainTransfer.id == existing.id,
                ChainTransfer.confirmation_status == ConfirmationStatus.ORPHANED,
            )
            .values(
                log_index=observed.log_index,
                block_number=observed.block_number,
                block_hash=observed.block_hash,
                block_time=observed.block_time,
                confirmation_status=ConfirmationStatus.PENDING,
                orphaned_at=None,
                detected_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(done, "rowcount", 0):
            return None
        await session.refresh(existing)
        transfer = existing
        revived = True
        log.info("chain_transfer_revived", transfer_id=transfer.id, tx_hash=observed.tx_hash)
    else:
        transfer = ChainTransfer(
            chain_id=observed.chain_id,
            token_address=observed.token,
            tx_hash=observed.tx_hash,
            log_index=observed.log_index,
            occurrence=observed.occurrence,
            transfer_key=key,
            block_number=observed.block_number,
            block_hash=observed.block_hash,
            block_time=observed.block_time,
            from_address=observed.from_address,
            to_address=observed.to_address,
            raw_value=observed.raw_value,
            amount=observed.amount,
            match_status=MatchStatus.UNMATCHED,
            unmatched_reason=UnmatchedReason.NO_PENDING_DEPOSIT,
            confirmation_status=ConfirmationStatus.PENDING,
            detected_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(transfer)
                await session.flush()
        except IntegrityError:
            return None  # recorded by a concurrent watcher
    match = await detect(session, transfer, rules, now)
    if match.deposit is not None and match.user is not None:
        await audit.log(
            session,
            audit.SYSTEM,
            "deposit_detected",
            target_type="deposit",
            target_id=match.deposit.id,
            amount=transfer.amount,
            before={"status": "pending"},
            after={"status": "detected"},
            details={"tx_hash": transfer.tx_hash, "user_id": match.user.id},
        )
    return Recorded(transfer, match, revived)


# ---------------------------------------------------------------------------------------------- moved
async def _follow(
    session: AsyncSession, row: ChainTransfer, observed: ObservedTransfer, now: datetime
) -> None:
    """A recorded, pending transfer seen again in another block or at another log index: its block
    data follow (its confirmations count from the new block). Confirmed rows are final."""
    if row.confirmation_status != ConfirmationStatus.PENDING or (
        row.block_hash == observed.block_hash and row.log_index == observed.log_index
    ):
        return
    await _move(session, row, observed.block_number, observed.block_hash, observed.log_index, now)


async def _move(
    session: AsyncSession, row: ChainTransfer, number: int, block_hash: str, log_index: int, now: datetime
) -> bool:
    changed = await session.execute(
        update(ChainTransfer)
        .where(
            ChainTransfer.id == row.id,
            ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
            ChainTransfer.block_hash == row.block_hash,  # moved from the block it was read in, once
        )
        .values(block_number=number, block_hash=block_hash, log_index=log_index, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    moved = bool(getattr(changed, "rowcount", 0))
    if moved and row.deposit_id is not None:
        await session.execute(
            update(Deposit)
            .where(Deposit.id == row.deposit_id, Deposit.transfer_id == row.id)
            .values(block_number=number, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if moved:
        log.info(
            "chain_transfer_moved",
            transfer_id=row.id,
            old_block=row.block_number,
            new_block=number,
            old_log_index=row.log_index,
            new_log_index=log_index,
            tx_hash=row.tx_hash,
        )
    return moved


async def move_transfer(
    rt: Runtime, transfer: ChainTransfer, number: int, block_hash: str, log_index: int
) -> bool:
    """The transaction is now in another block (§4.4.2): record it; confirmations count from there."""
    async with rt.db.transaction() as session:
        return await _move(session, transfer, number, block_hash, log_index, clock.now())


# ---------------------------------------------------------------------------------------------- confirm
async def confirm_transfer(
    rt: Runtime, transfer: ChainTransfer, rules: MatchRules, terms: ConfirmationTerms
) -> Confirmation | Queued | None:
    """A transfer whose receipt checks passed (§4.4.4): ``confirmed`` and settled in one transaction.

    Conditional on the row still being ``pending`` in the checked block. Notifications are the caller's
    (after this returns, i.e. after commit)."""
    now = clock.now()
    async with rt.db.transaction() as session:
        moved = await session.execute(
            update(ChainTransfer)
            .where(
                ChainTransfer.id == transfer.id,
                ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
                ChainTransfer.block_hash == transfer.block_hash,
            )
            .values(confirmation_status=ConfirmationStatus.CONFIRMED, confirmed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(moved, "rowcount", 0):
            return None
        fresh = await session.get(ChainTransfer, transfer.id, populate_existing=True)
        assert fresh is not None
        outcome = await settle_transfer(session, fresh, rules=rules, terms=terms, now=now)
    log.info(
        "chain_transfer_confirmed",
        transfer_id=transfer.id,
        tx_hash=transfer.tx_hash,
        outcome=type(outcome).__name__ if outcome is not None else "dust",
    )
    return outcome


# ---------------------------------------------------------------------------------------------- orphan
async def orphan_transfer(rt: Runtime, transfer: ChainTransfer) -> bool:
    """Transfer ``orphaned``; its detected deposit back to ``pending`` (``expired`` past its deadline),
    the user told after commit. False when the row was no longer ``pending``."""
    now = clock.now()
    reverted: tuple[User, Deposit, bool] | None = None
    async with rt.db.transaction() as session:
        done = await session.execute(
            update(ChainTransfer)
            .where(
                ChainTransfer.id == transfer.id,
                ChainTransfer.confirmation_status == ConfirmationStatus.PENDING,
                ChainTransfer.block_hash == transfer.block_hash,  # the block found replaced, not a newer one
            )
            .values(confirmation_status=ConfirmationStatus.ORPHANED, orphaned_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(done, "rowcount", 0):
            return False
        deposit = (
            await session.get(Deposit, transfer.deposit_id, populate_existing=True)
            if transfer.deposit_id is not None
            else None
        )
        if (
            deposit is not None
            and deposit.status == DepositStatus.DETECTED
            and deposit.transfer_id == transfer.id
        ):
            expired = deposit.expires_at <= now
            status = DepositStatus.EXPIRED if expired else DepositStatus.PENDING
            await session.execute(
                update(Deposit)
                .where(
                    Deposit.id == deposit.id,
                    Deposit.status == DepositStatus.DETECTED,
                    Deposit.transfer_id == transfer.id,
                )
                .values(
                    status=status,
                    transfer_id=None,
                    tx_hash=None,
                    block_number=None,
                    detected_at=None,
                    expired_at=now if expired else None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(ChainTransfer)
                .where(ChainTransfer.id == transfer.id)
                .values(deposit_id=None)
                .execution_options(synchronize_session=False)
            )
            await audit.log(
                session,
                audit.SYSTEM,
                "deposit_reverted",
                target_type="deposit",
                target_id=deposit.id,
                before={"status": str(DepositStatus.DETECTED)},
                after={"status": str(status)},
                details={"transfer_id": transfer.id, "tx_hash": transfer.tx_hash},
            )
            await session.refresh(deposit)
            user = await session.get(User, deposit.user_id)
            assert user is not None
            reverted = (user, deposit, expired)
    metrics.deposits_total.labels(event="orphaned").inc()
    log.warning("chain_transfer_orphaned", transfer_id=transfer.id, tx_hash=transfer.tx_hash)
    if reverted is not None:
        user, deposit, expired = reverted
        await deposit_notices.notify_reverted(rt, user, deposit, expired=expired)
    return True


# ---------------------------------------------------------------------------------------------- expiry
EXPIRY_BATCH = 500


async def expire_pending(rt: Runtime, now: datetime | None = None) -> list[Deposit]:
    """``pending`` deposits past ``expires_at`` → ``expired`` (conditional update), users told."""
    now = now or clock.now()
    expired: list[tuple[User, Deposit]] = []
    async with rt.db.transaction() as session:
        due = (
            await session.scalars(
                select(Deposit)
                .where(Deposit.status == DepositStatus.PENDING, Deposit.expires_at <= now)
                .order_by(Deposit.expires_at, Deposit.id)
                .limit(EXPIRY_BATCH)
            )
        ).all()
        for deposit in due:
            done = await session.execute(
                update(Deposit)
                .where(Deposit.id == deposit.id, Deposit.status == DepositStatus.PENDING)
                .values(status=DepositStatus.EXPIRED, expired_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if not getattr(done, "rowcount", 0):
                continue
            await audit.log(
                session,
                audit.SYSTEM,
                "deposit_expired",
                target_type="deposit",
                target_id=deposit.id,
                amount=deposit.amount,
                before={"status": str(DepositStatus.PENDING)},
                after={"status": str(DepositStatus.EXPIRED)},
                details={"user_id": deposit.user_id, "level": deposit.level},
            )
            await session.refresh(deposit)
            user = await session.get(User, deposit.user_id)
            assert user is not None
            expired.append((user, deposit))
    for user, deposit in expired:
        metrics.deposits_total.labels(event="expired").inc()
        await deposit_notices.notify_expired(rt, user, deposit)
    return [deposit for _, deposit in expired]


# ---------------------------------------------------------------------------------------------- cancel
async def cancel_pending(session: AsyncSession, deposit_id: int, user_id: int, now: datetime) -> bool:
    """The user's ``pending`` deposit → ``cancelled`` (§3.3.2), in the caller's transaction."""
    result = await session.execute(
        update(Deposit)
        .where(Deposit.id == deposit_id, Deposit.user_id == user_id, Deposit.status == DepositStatus.PENDING)
        .values(status=DepositStatus.CANCELLED, cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1
