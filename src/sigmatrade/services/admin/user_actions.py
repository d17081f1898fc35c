"""User card actions (SPEC §3.9.3, §3.12): ban / unban, unblock earnings, show contacts, balance
adjustment, change wallet. Each is one unit of work on a freshly loaded (locked) user row, audited with
the admin as actor and before/after. Notifications to the user go out after the commit (callers)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Admin, Payout, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain.contacts import Contacts
from sigmatrade.domain.enums import OPEN_PAYOUT_STATUSES
from sigmatrade.ledger import entries
from sigmatrade.ledger.balances import user_balances
from sigmatrade.ledger.journal import InsufficientFunds, post
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, profile, registration
from sigmatrade.services.admin.access import actor
from sigmatrade.services.registration import RegistrationError

MAX_REASON = 500
MAX_ADJUSTMENT = Decimal("1000000")


class UserActionError(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code  # not_found, already, insufficient, open_payouts, wallet_<rule>, same_wallet
        self.params = params


def clean_reason(text: str | None) -> str | None:
    cleaned = " ".join((text or "").split())[:MAX_REASON]
    return cleaned or None


async def _locked_user(session: AsyncSession, user_id: int) -> User:
    row = await session.get(User, user_id, with_for_update=is_postgres(session), populate_existing=True)
    if row is None:
        raise UserActionError("not_found")
    return row


async def set_banned(
    session: AsyncSession, admin: Admin, user_id: int, banned: bool, reason: str | None
) -> User:
    """Ban (with an optional reason) or unban. Repeating the current state is refused (``already``)."""
    async with unit(session):
        row = await _locked_user(session, user_id)
        if row.is_banned == banned:
            raise UserActionError("already")
        before = {"is_banned": row.is_banned, "ban_reason": row.ban_reason}
        now = clock.now()
        row.is_banned = banned
        row.banned_at = now if banned else None
        row.ban_reason = clean_reason(reason) if banned else None
        row.banned_by_admin_id = admin.id if banned else None
        row.updated_at = now
        await audit.log(
            session,
            actor(admin),
            "user_banned" if banned else "user_unbanned",
            target_type="user",
            target_id=row.id,
            before=before,
            after={"is_banned": row.is_banned, "ban_reason": row.ban_reason},
        )
    session.expunge(row)
    return row


async def unblock_earnings(session: AsyncSession, admin: Admin, user_id: int) -> User:
    async with unit(session):
        row = await _locked_user(session, user_id)
        if not row.earnings_blocked:
            raise UserActionError("already")
        row.earnings_blocked = False
        row.updated_at = clock.now()
        await audit.log(
            session,
            actor(admin),
            "user_earnings_unblocked",
            target_type="user",
            target_id=row.id,
            before={"earnings_blocked": True},
            after={"earnings_blocked": False},
        )
    session.expunge(row)
    return row


async def show_contacts(session: AsyncSession, rt: Runtime, admin: Admin, user_id: int) -> Contacts:
    """Decrypted contacts for an extended/super admin's explicit tap; the reading itself is audited."""
    async with unit(session):
        row = await session.get(User, user_id, populate_existing=True)
        if row is None:
            raise UserActionError("not_found")
        contacts = profile.read_contacts(rt, row)
        await audit.log(
            session,
            actor(admin),
            "user_contacts_viewed",
            target_type="user",
            target_id=row.id,
            details={"phone": contacts.phone is not None, "email": contacts.email is not None},
        )
    return contacts


@dataclass(frozen=True)
class Adjusted:
    user: User
    amount: Decimal  # signed: > 0 credit, < 0 debit
    available_before: Decimal
    available_after: Decimal
    created: bool  # False: this confirmation was already posted (a repeated tap)


async def adjust(
    session: AsyncSession, admin: Admin, user_id: int, amount: Decimal, reason: str, token: str
) -> Adjusted:
    """Credit or debit the available balance (entry ``adjustment``). ``token`` names the confirmation
    screen the admin pressed, so the same confirmation posts once however often it is pressed. A debit
    never goes below zero (the journal refuses it: ``insufficient``)."""
    cleaned = clean_reason(reason)
    if amount == 0 or abs(amount) > MAX_ADJUSTMENT or cleaned is None:
        raise UserActionError("bad_amount")
    async with unit(session):
        row = await _locked_user(session, user_id)
        before = (await user_balances(session, user_id)).available
        spec = entries.adjustment(user_id, amount, cleaned, key=f"adjust:admin:{admin.id}:{token}")
        try:
            result = await post(session, spec, admin_id=admin.id)
        except InsufficientFunds as exc:
            raise UserActionError("insufficient", available=before) from exc
        await session.flush()
        after = (await user_balances(session, user_id)).available
        if result.created:
            await audit.log(
                session,
                actor(admin),
                "balance_adjusted",
                target_type="user",
                target_id=row.id,
                amount=amount,
                before={"available": before},
                after={"available": after},
                details={"reason": cleaned, "entry_id": result.entry.id},
            )
    session.expunge(row)
    return Adjusted(row, amount, before, after, result.created)


async def change_wallet(
    session: AsyncSession, rt: Runtime, admin: Admin, user_id: int, text: str
) -> tuple[User, str]:
    """Every registration wallet rule (format, checksum, not a system/contract address, unique, not
    blacklisted). Refused while the user has an open payout (it would still go to the old address).
    Returns the user and the old address."""
    try:
        parsed = registration.parse_wallet(text, rt.config.usdt_contract_address)
    except RegistrationError as err:
        raise UserActionError(f"wallet_{err.code}") from err
    async with unit(session):
        row = await _locked_user(session, user_id)
        if row.wallet_address_lc == parsed.lower:
            raise UserActionError("same_wallet")
        try:
            await registration.wallet_rules(session, rt, parsed.lower)
        except RegistrationError as err:
            raise UserActionError(f"wallet_{err.code}") from err
        open_payouts = await session.scalar(
            select(func.count()).where(Payout.user_id == user_id, Payout.status.in_(OPEN_PAYOUT_STATUSES))
        )
        if open_payouts:
            raise UserActionError("open_payouts", count=int(open_payouts))
        old = row.wallet_address
        row.wallet_address = parsed.checksum
        row.wallet_address_lc = parsed.lower
        row.updated_at = clock.now()
        await audit.log(
            session,
            actor(admin),
            "user_wallet_changed",
            target_type="user",
            target_id=row.id,
            before={"wallet": old},
            after={"wallet": parsed.checksum},
        )
    session.expunge(row)
    return row, old
