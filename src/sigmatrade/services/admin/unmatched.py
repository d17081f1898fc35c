"""Unmatched deposit desk (SPEC §4.5, §5.8 "Unmatched deposits"): the open review queue, assign,
refund and ignore. Every action is conditional on the item being ``open`` (double taps and two admins
are harmless) and audited with the admin.

* **Assign** (admin+): the user's own pending deposit of that level is reused, otherwise a deposit with
  ``source = admin_assignment`` is created (activation rules must pass); then the same confirmation as
  a matched deposit (``deposit_lifecycle.confirm_deposit``: principal through ``unmatched_assigned``,
  referral commissions, audit) in one transaction with the item's ``open`` → ``assigned``. The entry key
  ``unmatched:<item>:assign`` and the conditional item update make it happen once.
* **Refund** (extended+, note): a ``refund`` payout of the received amount to the sender, fee 0, through
  the normal approval rules; item ``refund_pending`` (→ ``refunded`` when the payout confirms, back to
  ``open`` when it is rejected or fails).
* **Ignore** (extended+, note): item ``ignored``, entry ``unmatched_ignored``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock, metrics
from sigmatrade.db.models import Admin, ChainTransfer, Deposit, Payout, UnmatchedDeposit, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain import levels as level_rules
from sigmatrade.domain import withdrawals as withdrawal_rules
from sigmatrade.domain.addresses import is_valid_address, to_checksum
from sigmatrade.domain.enums import (
    DepositStatus,
    PayoutKind,
    PayoutStatus,
    UnmatchedStatus,
)
from sigmatrade.domain.money import amount_to_raw
from sigmatrade.domain.paging import page_count
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, deposit_lifecycle, deposit_matching, deposit_notices
from sigmatrade.services.admin import access
from sigmatrade.services.admin.refusals import NOT_FOUND, DeskRefusal
from sigmatrade.services.admin.wake import PROCESSOR, wake
from sigmatrade.services.deposit_events import Confirmation
from sigmatrade.services.deposits import verified_referrals
from sigmatrade.services.withdrawals import load_rules as load_withdrawal_rules
from sigmatrade.texts.render import strip_controls, truncate_plain

PAGE_SIZE = 5
NOTE_LIMIT = 500
NOT_OPEN = "not_open"
NO_USER = "no_user"
NOTE_REQUIRED = "note_required"
TOO_LITTLE = "too_little"
ACTIVATION = "activation"  # the level's activation rules refuse (params: refusal code)


@dataclass(frozen=True)
class Item:
    item: UnmatchedDeposit
    transfer: ChainTransfer
    suspected: User | None


@dataclass(frozen=True)
class ItemPage:
    items: Sequence[Item]
    page: int
    pages: int
    total: int


# ---------------------------------------------------------------------------------------------- reads
async def queue(session: AsyncSession, page: int) -> ItemPage:
    async with unit(session):
        count = int(
            await session.scalar(
                select(func.count(UnmatchedDeposit.id)).where(UnmatchedDeposit.status == UnmatchedStatus.OPEN)
            )
            or 0
        )
        pages = page_count(count, PAGE_SIZE)
        page = 1 if page < 1 else min(page, pages)
        rows = (
            await session.execute(
                select(UnmatchedDeposit, ChainTransfer, User)
                .join(ChainTransfer, ChainTransfer.id == UnmatchedDeposit.transfer_id)
                .outerjoin(User, User.id == UnmatchedDeposit.suspected_user_id)
                .where(UnmatchedDeposit.status == UnmatchedStatus.OPEN)
                .order_by(UnmatchedDeposit.created_at, UnmatchedDeposit.id)
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    return ItemPage([Item(i, t, u) for i, t, u in rows], page, pages, count)


async def item(session: AsyncSession, item_id: int) -> Item | None:
    async with unit(session):
        row = (
            await session.execute(
                select(UnmatchedDeposit, ChainTransfer, User)
                .join(ChainTransfer, ChainTransfer.id == UnmatchedDeposit.transfer_id)
                .outerjoin(User, User.id == UnmatchedDeposit.suspected_user_id)
                .where(UnmatchedDeposit.id == item_id)
            )
        ).first()
    return Item(row[0], row[1], row[2]) if row is not None else None


async def find_user(session: AsyncSession, query: str) -> User | None:
    """A user by id (digits: user id, then Telegram id), ``@username`` or wallet address."""
    text = query.strip()
    async with unit(session):
        if text.startswith("@") and len(text) > 1:
            found: User | None = await session.scalar(
                select(User).where(User.username_lc == text[1:].lower())
            )
            return found
        if is_valid_address(text):
            return await session.scalar(select(User).where(User.wallet_address_lc == text.lower()))
        if text.isdigit() and len(text) <= 18:
            number = int(text)
            return await session.scalar(
                select(User)
                .where(or_(User.id == number, User.telegram_id == number))
                .order_by(User.id)
                .limit(1)
            )
    return None


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    async with unit(session):
        return await session.get(User, user_id, populate_existing=True)


def clean_note(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = truncate_plain(strip_controls(text).strip(), NOTE_LIMIT)
    return cleaned or None


async def _locked_open(session: AsyncSession, item_id: int) -> tuple[UnmatchedDeposit, ChainTransfer]:
    row = await session.get(
        UnmatchedDeposit, item_id, with_for_update=is_postgres(session), populate_existing=True
    )
    if row is None:
        raise DeskRefusal(NOT_FOUND)
    if row.status != UnmatchedStatus.OPEN:
        raise DeskRefusal(NOT_OPEN, status=row.status)
    transfer = await session.get(ChainTransfer, row.transfer_id, populate_existing=True)
    assert transfer is not None
    return row, transfer


async def _close(
    session: AsyncSession,
    item_id: int,
    status: UnmatchedStatus,
    admin: Admin,
    note: str | None,
    **values: object,
) -> None:
    now = clock.now()
    moved = await session.execute(
        update(UnmatchedDeposit)
        .where(UnmatchedDeposit.id == item_id, UnmatchedDeposit.status == UnmatchedStatus.OPEN)
        .values(
            status=status, resolved_by_admin_id=admin.id, resolved_at=now, note=note, updated_at=now, **values
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise DeskRefusal(NOT_OPEN)


# ---------------------------------------------------------------------------------------------- assign
async def check_assign(session: AsyncSession, rt: Runtime, item_id: int, user_id: int, level: int) -> Decimal:
    """The assignment's refusals before the confirm screen (nothing written); returns the received amount."""
    table, tolerance = await _assign_terms(rt)
    async with unit(session):
        _open, transfer = await _locked_open(session, item_id)
        await _assignable(session, table, tolerance, transfer.amount, user_id, level)
    return transfer.amount


async def _assign_terms(rt: Runtime) -> tuple[level_rules.LevelTable, Decimal]:
    snapshot = await rt.store.snapshot()
    # Rule 1 (new deposits enabled, a system wallet configured) concerns payments still to be made:
    # the money of an unmatched item has already arrived.
    table = replace(level_rules.level_table(snapshot), enabled=True, wallet_configured=True)
    return table, Decimal(snapshot["deposit.tolerance_fixed"])


async def _assignable(
    session: AsyncSession,
    table: level_rules.LevelTable,
    tolerance: Decimal,
    received: Decimal,
    user_id: int,
    level: int,
) -> Deposit | None:
    """The user's own pending deposit of the level to reuse, or None when a new one may be created."""
    if not level_rules.MIN_LEVEL <= level <= len(table.levels):
        raise DeskRefusal(NOT_FOUND)
    user = await session.get(User, user_id, with_for_update=is_postgres(session), populate_existing=True)
    if user is None:
        raise DeskRefusal(NO_USER)
    spec = table.spec(level)
    if received < spec.amount - tolerance:
        raise DeskRefusal(TOO_LITTLE, level=level, amount=spec.amount)
    own: Deposit | None = await session.scalar(
        select(Deposit)
        .where(Deposit.user_id == user_id, Deposit.level == level, Deposit.status == DepositStatus.PENDING)
        .order_by(Deposit.created_at, Deposit.id)
        .limit(1)
    )
    if own is not None and not user.is_banned and user.is_verified:
        return own
    facts = level_rules.UserFacts(
        registered=True,
        verified=user.is_verified,
        banned=user.is_banned,
        deposits=tuple(
            (int(lvl), str(status))
            for lvl, status in (
                await session.execute(select(Deposit.level, Deposit.status).where(Deposit.user_id == user_id))
            ).all()
        ),
        verified_referrals=await verified_referrals(session, user_id),
    )
    refusal = level_rules.check_activation(table, facts, level)
    if refusal is not None:
        raise DeskRefusal(ACTIVATION, reason=refusal.code, **refusal.params)
    return None


async def assign(
    session: AsyncSession,
    rt: Runtime,
    admin: Admin,
    item_id: int,
    user_id: int,
    level: int,
    note: str | None = None,
) -> Confirmation:
    """One transaction: item ``assigned``, deposit confirmed (principal, commissions), audit; then the
    user and the credited uplines are told."""
    table, tolerance = await _assign_terms(rt)
    terms = await deposit_matching.load_confirmation_terms(rt.store)
    ttl = int(await rt.store.get("deposit.pending_ttl_hours"))
    note = clean_note(note)
    async with unit(session):
        _open, transfer = await _locked_open(session, item_id)
        own = await _assignable(session, table, tolerance, transfer.amount, user_id, level)
        now = clock.now()
        confirmation = await deposit_lifecycle.assign_unmatched(
            session,
            transfer=transfer,
            user_id=user_id,
            spec=table.spec(level),
            existing=own,
            terms=terms,
            pending_ttl_hours=ttl,
            now=now,
            unmatched_id=item_id,
        )
        if confirmation is None:
            raise DeskRefusal(NOT_OPEN)
        own = confirmation.deposit
        await _close(session, item_id, UnmatchedStatus.ASSIGNED, admin, note, assigned_deposit_id=own.id)
        await session.flush()
        await audit.log(
            session,
            access.actor(admin),
            "unmatched_assigned",
            target_type="unmatched_deposit",
            target_id=item_id,
            amount=transfer.amount,
            before={"status": UnmatchedStatus.OPEN},
            after={"status": UnmatchedStatus.ASSIGNED, "deposit_id": own.id},
            details={"user_id": user_id, "level": level, "transfer_id": transfer.id, "note": note},
        )
    metrics.deposits_total.labels(event="confirmed").inc()
    await deposit_notices.notify_confirmed(rt, confirmation)
    return confirmation


# ---------------------------------------------------------------------------------------------- refund
async def refund(session: AsyncSession, rt: Runtime, admin: Admin, item_id: int, note: str | None) -> Payout:
    """A refund payout of the received amount to the sender (normal approval rules); item ``refund_pending``."""
    note = clean_note(note)
    if note is None:
        raise DeskRefusal(NOTE_REQUIRED)
    rules = await load_withdrawal_rules(rt.store)
    async with unit(session):
        _open, transfer = await _locked_open(session, item_id)
        approval = withdrawal_rules.approval_policy(transfer.amount, rules)
        earlier = int(
            await session.scalar(select(func.count(Payout.id)).where(Payout.unmatched_deposit_id == item_id))
            or 0
        )
        now = clock.now()
        payout = Payout(
            kind=PayoutKind.REFUND,
            user_id=None,
            unmatched_deposit_id=item_id,
            to_address=to_checksum(transfer.from_address),
            amount=transfer.amount,
            fee=Decimal(0),
            net_amount=transfer.amount,
            raw_amount=amount_to_raw(transfer.amount, rt.config.usdt_decimals),
            status=PayoutStatus.APPROVED if approval.auto_approved else PayoutStatus.REQUESTED,
            required_approvals=approval.required_approvals,
            auto_approved=approval.auto_approved,
            idempotency_key=f"refund:{item_id}:{earlier + 1}",
            requested_at=now,
            approved_at=now if approval.auto_approved else None,
        )
        session.add(payout)
        await session.flush()
        await _close(
            session, item_id, UnmatchedStatus.REFUND_PENDING, admin, note, refund_payout_id=payout.id
        )
        await audit.log(
            session,
            access.actor(admin),
            "unmatched_refund_requested",
            target_type="unmatched_deposit",
            target_id=item_id,
            amount=transfer.amount,
            before={"status": UnmatchedStatus.OPEN},
            after={"status": UnmatchedStatus.REFUND_PENDING, "payout_id": payout.id},
            details={
                "to_address": payout.to_address,
                "note": note,
                "required_approvals": payout.required_approvals,
            },
        )
    if payout.status == PayoutStatus.APPROVED:
        wake(rt, PROCESSOR)
    return payout


# ---------------------------------------------------------------------------------------------- ignore
async def ignore(
    session: AsyncSession, rt: Runtime, admin: Admin, item_id: int, note: str | None
) -> UnmatchedDeposit:
    note = clean_note(note)
    if note is None:
        raise DeskRefusal(NOTE_REQUIRED)
    async with unit(session):
        _open, transfer = await _locked_open(session, item_id)
        await _close(session, item_id, UnmatchedStatus.IGNORED, admin, note)
        await post(session, entries.unmatched_ignored(transfer.transfer_key, item_id, transfer.amount))
        await audit.log(
            session,
            access.actor(admin),
            "unmatched_ignored",
            target_type="unmatched_deposit",
            target_id=item_id,
            amount=transfer.amount,
            before={"status": UnmatchedStatus.OPEN},
            after={"status": UnmatchedStatus.IGNORED},
            details={"note": note},
        )
        done = await session.get(UnmatchedDeposit, item_id, populate_existing=True)
        assert done is not None
    return done
