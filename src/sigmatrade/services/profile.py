"""Profile and preferences (SPEC §3.1.8, §5.6 Profile / Settings): language, accrual notifications,
contacts (AES-256-GCM at rest, §11.1) and the data of the Profile screen.

Contacts are stored as ``Cipher`` tokens in ``users.phone_enc`` / ``users.email_enc`` (no associated
data, so any holder of the key ring — e.g. the admin user card — decrypts them with
:func:`read_contacts`). The plaintext is never stored, logged or audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Deposit, Referral, User
from sigmatrade.db.session import is_postgres, reading, unit
from sigmatrade.domain import levels as level_rules
from sigmatrade.domain.contacts import Contacts, mask_email, mask_phone
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.ledger.balances import Balances, user_balances
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.crypto import Cipher, DecryptionError
from sigmatrade.services.deposits import verified_referrals

LEVEL_COUNT = 5
CONTACTS_LIMIT_ACTION = "contacts_update"
_ACTIVE = (DepositStatus.CONFIRMED,)  # a completed level-1 cycle is no longer active


class ProfileError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


NOT_REGISTERED = "not_registered"


@dataclass(frozen=True)
class MaskedContacts:
    phone: str | None
    email: str | None

    @property
    def empty(self) -> bool:
        return self.phone is None and self.email is None


@dataclass(frozen=True)
class CycleProgress:
    """The active level-1 deposit: accrued so far against its cap."""

    accrued: Decimal
    cap: Decimal
    percent: Decimal  # 0.0 .. 100.0, one decimal, rounded down
    cells: int  # filled cells of the progress bar


@dataclass(frozen=True)
class ProfileData:
    user: User
    balances: Balances
    active_levels: int
    cycle: CycleProgress | None
    verified_referrals: int
    referrals_by_depth: tuple[int, int, int]
    contacts: MaskedContacts
    referral_link: str | None


# ------------------------------------------------------------------------------------------ language
async def set_language(session: AsyncSession, user: User, lang: str) -> None:
    if lang not in ("ru", "en"):
        raise ValueError("unsupported language")
    async with unit(session):
        row = await session.get(User, user.id, populate_existing=True)
        if row is None:
            raise ProfileError(NOT_REGISTERED)
        before = row.language
        row.language = lang
        await audit.log_user_action(
            session,
            row.id,
            row.telegram_id,
            "language_changed",
            target_type="user",
            target_id=row.id,
            before={"language": before},
            after={"language": lang},
        )
    user.language = lang


# -------------------------------------------------------------------------------------- notifications
async def toggle_accrual_notifications(session: AsyncSession, user_id: int) -> bool:
    """Flip the accrual-notification preference (audited); returns the new value."""
    async with unit(session):
        row = await session.get(User, user_id, populate_existing=True, with_for_update=is_postgres(session))
        if row is None:
            raise ProfileError(NOT_REGISTERED)
        before = row.accrual_notifications
        row.accrual_notifications = not before
        await audit.log_user_action(
            session,
            row.id,
            row.telegram_id,
            "notifications_changed",
            target_type="user",
            target_id=row.id,
            before={"accrual_notifications": before},
            after={"accrual_notifications": not before},
        )
    return not before


# ------------------------------------------------------------------------------------------- contacts
def cipher(rt: Runtime) -> Cipher:
    current, old = rt.config.encryption_keys()
    return Cipher(current, tuple(old))


async def save_contacts(
    session: AsyncSession, rt: Runtime, user_id: int, contacts: Contacts
) -> MaskedContacts:
    """Replace the user's contacts (empty ``contacts`` removes them); audited without the values."""
    box = cipher(rt)
    async with unit(session):
        row = await session.get(User, user_id, populate_existing=True, with_for_update=is_postgres(session))
        if row is None:
            raise ProfileError(NOT_REGISTERED)
        before = {"phone": row.phone_enc is not None, "email": row.email_enc is not None}
        row.phone_enc = box.encrypt(contacts.phone) if contacts.phone else None
        row.email_enc = box.encrypt(contacts.email) if contacts.email else None
        await audit.log_user_action(
            session,
            row.id,
            row.telegram_id,
            "contacts_updated",
            target_type="user",
            target_id=row.id,
            before=before,
            after={"phone": contacts.phone is not None, "email": contacts.email is not None},
        )
    return mask(contacts)


def read_contacts(rt: Runtime, user: User) -> Contacts:
    """Decrypted contacts; a value that does not decrypt (unknown key) reads as missing."""
    box = cipher(rt)

    def _open(token: str | None) -> str | None:
        if not token:
            return None
        try:
            return box.decrypt(token)
        except DecryptionError:
            return None

    return Contacts(phone=_open(user.phone_enc), email=_open(user.email_enc))


def mask(contacts: Contacts) -> MaskedContacts:
    return MaskedContacts(
        phone=mask_phone(contacts.phone) if contacts.phone else None,
        email=mask_email(contacts.email) if contacts.email else None,
    )


@dataclass(frozen=True)
class Preferences:
    accrual_notifications: bool
    contacts: MaskedContacts


async def preferences(session: AsyncSession, rt: Runtime, user_id: int) -> Preferences:
    """What the preferences screen shows, read fresh from the database."""
    async with unit(session):
        row = await session.get(User, user_id, populate_existing=True)
        if row is None:
            raise ProfileError(NOT_REGISTERED)
    return Preferences(row.accrual_notifications, mask(read_contacts(rt, row)))


async def masked_contacts(session: AsyncSession, rt: Runtime, user_id: int) -> MaskedContacts:
    async with unit(session):
        row = await session.get(User, user_id, populate_existing=True)
        if row is None:
            raise ProfileError(NOT_REGISTERED)
    return mask(read_contacts(rt, row))


# -------------------------------------------------------------------------------------------- profile
def referral_link(rt: Runtime, code: str) -> str | None:
    if not rt.bot_username:
        return None
    return f"https://t.me/{rt.bot_username}?start={code}"


def cycle_progress(accrued: Decimal, cap: Decimal) -> CycleProgress:
    """Percent of the cap reached (the rule of ``domain.levels.progress``), one decimal, rounded down."""
    percent, cells = level_rules.progress(accrued, cap)
    return CycleProgress(
        accrued=accrued, cap=cap, percent=percent.quantize(Decimal("0.1"), rounding=ROUND_DOWN), cells=cells
    )


async def overview(session: AsyncSession, rt: Runtime, user_id: int) -> ProfileData:
    """Everything the Profile screen shows, in one read."""
    async with reading(session):
        user = await session.get(User, user_id, populate_existing=True)
        if user is None:
            raise ProfileError(NOT_REGISTERED)
        balances = await user_balances(session, user_id)
        levels = (
            await session.scalars(
                select(Deposit.level)
                .where(Deposit.user_id == user_id, Deposit.status.in_([str(s) for s in _ACTIVE]))
                .distinct()
            )
        ).all()
        active = (
            await session.execute(
                select(Deposit.accrued_total, Deposit.cap_amount)
                .where(
                    Deposit.user_id == user_id,
                    Deposit.level == 1,
                    Deposit.status == str(DepositStatus.CONFIRMED),
                )
                .order_by(Deposit.id.desc())
                .limit(1)
            )
        ).first()
        verified = await verified_referrals(session, user_id)
        per_depth = {
            int(depth): int(count)
            for depth, count in (
                await session.execute(
                    select(Referral.depth, func.count())
                    .where(Referral.ancestor_id == user_id)
                    .group_by(Referral.depth)
                )
            ).all()
        }
    cycle = None
    if active is not None and active[1] is not None:
        cycle = cycle_progress(Decimal(active[0]), Decimal(active[1]))
    return ProfileData(
        user=user,
        balances=balances,
        active_levels=min(len(set(levels)), LEVEL_COUNT),
        cycle=cycle,
        verified_referrals=int(verified or 0),
        referrals_by_depth=(per_depth.get(1, 0), per_depth.get(2, 0), per_depth.get(3, 0)),
        contacts=mask(read_contacts(rt, user)),
        referral_link=referral_link(rt, user.referral_code),
    )
