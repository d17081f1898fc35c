"""Registration and verification (SPEC §3.1, §3.4.1–§3.4.3, §3.4.8, §3.8.1).

* ``begin``: the Register button — refused for registered or blacklisted Telegram ids, then the per-action
  limit ``registration`` (3 per hour).
* ``check_wallet``: every wallet rule, in the order of the specification; the first failing one is raised.
* ``register``: one transaction — the user (EIP-55 wallet + lower-case copy, unique referral code, argon2id
  hash of a fresh finpass), the three ledger accounts, the referral closure rows (depth ≤ 3), an audit
  record and a ``user_actions`` row. The plaintext finpass is returned to the caller once and never stored.
  A concurrent duplicate (same Telegram id or wallet) ends as ``RegistrationError(CONFLICT)`` with no rows.
* ``verify``: the finpass typed back, through ``services.finpass.check`` (lockout); success sets
  ``is_verified`` and returns the direct referrer so the caller can notify them after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Blacklist, Referral, SystemSetting, User, WalletChangeRequest, WalletKey
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain import codes
from sigmatrade.domain.addresses import ZERO_ADDRESS, AddressError, ParsedAddress, parse_address
from sigmatrade.ledger.accounts import create_user_accounts
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, crypto, finpass, limits
from sigmatrade.services import settings as settings_service
from sigmatrade.services import users as user_service
from sigmatrade.services.finpass import CheckResult

LIMIT_ACTION = "registration"
MAX_DEPTH = 3
CODE_ATTEMPTS = 20
SYSTEM_WALLET_KEYS = ("deposit.system_wallet_address", "payout.wallet_address")

# Refusals of the Register button.
ALREADY_REGISTERED = "already_registered"
BLACKLISTED = "blacklisted"
RATE_LIMITED = "rate_limited"
# Wallet rules (§3.1.3), in the order they are checked.
WALLET_FORMAT = "format"
WALLET_CHECKSUM = "checksum"
WALLET_ZERO = "zero"
WALLET_CONTRACT = "contract"
WALLET_SYSTEM = "system"
WALLET_TAKEN = "taken"
WALLET_BLACKLISTED = "wallet_blacklisted"
WALLET_ERRORS = (
    WALLET_FORMAT,
    WALLET_CHECKSUM,
    WALLET_ZERO,
    WALLET_CONTRACT,
    WALLET_SYSTEM,
    WALLET_TAKEN,
    WALLET_BLACKLISTED,
)
# The registration transaction.
CONFLICT = "conflict"  # a concurrent registration of the same Telegram id or wallet won
CYCLE = "cycle"  # the new user is already in the referrer's chain
NO_CODE = "no_code"  # no free referral code after many attempts (practically impossible)
# Verification.
NOT_REGISTERED = "not_registered"


class RegistrationError(ValueError):
    """A refused registration step; ``code`` selects the message, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Applicant:
    """The Telegram side of a registration (from the update) and the language chosen as a guest."""

    telegram_id: int
    username: str | None
    first_name: str | None
    language_code: str | None
    language: str | None  # ru / en chosen as a guest; None: derive from language_code


@dataclass(frozen=True)
class Registered:
    user: User
    finpass: str  # plaintext, shown once by the caller; never stored
    referrer: User | None
    referral_invalid: bool  # a code was given but is unknown, banned or the user's own


@dataclass(frozen=True)
class VerifyStatus:
    verified: bool
    locked_until: datetime | None
    attempts_left: int


@dataclass(frozen=True)
class Verification:
    check: CheckResult
    user: User
    newly_verified: bool
    referrer: User | None  # the direct referrer to notify (only when newly verified and reachable)


# -------------------------------------------------------------------------------------------- start
async def begin(session: AsyncSession, rt: Runtime, telegram_id: int) -> None:
    """The Register button: refused when registered or blacklisted (nothing counted), else one use of the limit."""
    async with unit(session):
        if await user_service.by_telegram_id(session, telegram_id) is not None:
            raise RegistrationError(ALREADY_REGISTERED)
        if await _telegram_blacklisted(session, telegram_id):
            raise RegistrationError(BLACKLISTED)
    verdict = await limits.hit(rt, LIMIT_ACTION, telegram_id)
    if not verdict.allowed:
        raise RegistrationError(RATE_LIMITED, wait_seconds=verdict.wait_seconds)


async def _telegram_blacklisted(session: AsyncSession, telegram_id: int) -> bool:
    found = await session.scalar(select(Blacklist.id).where(Blacklist.telegram_id == telegram_id))
    return found is not None


# ------------------------------------------------------------------------------------------- wallet
def parse_wallet(text: str, usdt_contract: str) -> ParsedAddress:
    """The rules that need no database: format, checksum, zero address, token contract."""
    parsed = parse_address(text.strip())
    if parsed == AddressError.FORMAT:
        raise RegistrationError(WALLET_FORMAT)
    if parsed == AddressError.CHECKSUM:
        raise RegistrationError(WALLET_CHECKSUM)
    assert isinstance(parsed, ParsedAddress)
    if parsed.lower == ZERO_ADDRESS:
        raise RegistrationError(WALLET_ZERO)
    if parsed.lower == usdt_contract.lower():
        raise RegistrationError(WALLET_CONTRACT)
    return parsed


async def system_addresses(session: AsyncSession, rt: Runtime) -> set[str]:
    """Lower-case addresses that belong to the platform: the current system deposit and payout wallets
    (database and cached settings), every address of a wallet change request and of the keystore."""
    found: set[str] = set()
    for key in SYSTEM_WALLET_KEYS:
        cached = await rt.store.get(key)
        if isinstance(cached, str):
            found.add(cached.lower())
    rows = (
        await session.execute(
            select(SystemSetting.key, SystemSetting.value).where(SystemSetting.key.in_(SYSTEM_WALLET_KEYS))
        )
    ).all()
    for key, raw in rows:
        value = settings_service.decode(key, raw)
        if isinstance(value, str):
            found.add(value.lower())
    for old, new in (
        await session.execute(select(WalletChangeRequest.old_address, WalletChangeRequest.new_address))
    ).all():
        found.update(a.lower() for a in (old, new) if a)
    found.update(a.lower() for a in (await session.scalars(select(WalletKey.address))).all())
    return found


async def wallet_rules(session: AsyncSession, rt: Runtime, lower: str) -> None:
    """Database rules, inside the caller's transaction."""
    if lower in await system_addresses(session, rt):
        raise RegistrationError(WALLET_SYSTEM)
    taken = await session.scalar(select(User.id).where(User.wallet_address_lc == lower))
    if taken is not None:
        raise RegistrationError(WALLET_TAKEN)
    listed = await session.scalar(select(Blacklist.id).where(Blacklist.wallet_address_lc == lower))
    if listed is not None:
        raise RegistrationError(WALLET_BLACKLISTED)


async def check_wallet(session: AsyncSession, rt: Runtime, text: str) -> ParsedAddress:
    """Every wallet rule of §3.1.3; raises ``RegistrationError`` with the first failing one."""
    parsed = parse_wallet(text, rt.config.usdt_contract_address)
    async with unit(session):
        await wallet_rules(session, rt, parsed.lower)
    return parsed


# -------------------------------------------------------------------------------------- registration
async def resolve_referrer(
    session: AsyncSession, code: str | None, telegram_id: int
) -> tuple[User | None, bool]:
    """(referrer, invalid): unknown code, banned referrer or the applicant's own code -> (None, True)."""
    if not code:
        return None, False
    referrer = await user_service.by_referral_code(session, code)
    if referrer is None or referrer.is_banned or referrer.telegram_id == telegram_id:
        return None, True
    return referrer, False


async def _unique_code(session: AsyncSession) -> str:
    for _ in range(CODE_ATTEMPTS):
        candidate = codes.new_referral_code()
        exists = await session.scalar(select(User.id).where(User.referral_code == candidate))
        if exists is None:
            return candidate
    raise RegistrationError(NO_CODE)


async def link_referral(session: AsyncSession, referrer_id: int, user_id: int) -> None:
    """Closure rows (§3.4.3): (referrer, new, 1) and (A, new, d+1) for each ancestor A of the referrer at
    depth d ≤ 2. Refused when the new user equals the referrer or is already in the chain (a cycle)."""
    if referrer_id == user_id:
        raise RegistrationError(CYCLE)
    uplines = (
        await session.execute(
            select(Referral.ancestor_id, Referral.depth).where(Referral.descendant_id == referrer_id)
        )
    ).all()
    if any(ancestor_id == user_id for ancestor_id, _ in uplines):
        raise RegistrationError(CYCLE)
    below = await session.scalar(
        select(Referral.id).where(Referral.ancestor_id == user_id, Referral.descendant_id == referrer_id)
    )
    if below is not None:
        raise RegistrationError(CYCLE)
    session.add(Referral(ancestor_id=referrer_id, descendant_id=user_id, depth=1))
    for ancestor_id, depth in uplines:
        if depth + 1 <= MAX_DEPTH:
            session.add(Referral(ancestor_id=ancestor_id, descendant_id=user_id, depth=depth + 1))
    await session.flush()


async def register(
    session: AsyncSession,
    rt: Runtime,
    applicant: Applicant,
    wallet_text: str,
    *,
    referral_code: str | None,
) -> Registered:
    """Create the user in one transaction (see the module docstring)."""
    parsed = parse_wallet(wallet_text, rt.config.usdt_contract_address)
    password = codes.new_finpass()
    hashed = await crypto.hash_secret_off_loop(password)  # slow by design: off the event loop
    tg = applicant.telegram_id
    try:
        async with unit(session):
            if await user_service.by_telegram_id(session, tg) is not None:
                raise RegistrationError(ALREADY_REGISTERED)
            if await _telegram_blacklisted(session, tg):
                raise RegistrationError(BLACKLISTED)
            await wallet_rules(session, rt, parsed.lower)
            referrer, invalid = await resolve_referrer(session, referral_code, tg)
            now = clock.now()
            username = applicant.username[:64] if applicant.username else None
            user = User(
                telegram_id=tg,
                username=username,
                username_lc=username.lower() if username else None,
                first_name=applicant.first_name[:128] if applicant.first_name else None,
                language=applicant.language if applicant.language in ("ru", "en") else None,
                telegram_language_code=applicant.language_code[:16] if applicant.language_code else None,
                wallet_address=parsed.checksum,
                wallet_address_lc=parsed.lower,
                referral_code=await _unique_code(session),
                referrer_id=referrer.id if referrer else None,
                finpass_hash=hashed,
                finpass_failed_attempts=0,
                finpass_updated_at=now,
                last_seen_at=now,
            )
            session.add(user)
            await session.flush()
            await create_user_accounts(session, user.id)
            if referrer is not None:
                await link_referral(session, referrer.id, user.id)
            await audit.log_user_action(
                session,
                user.id,
                tg,
                "registered",
                target_type="user",
                target_id=user.id,
                details={
                    "wallet": parsed.checksum,
                    "referrer_id": referrer.id if referrer else None,
                    "referral_code_invalid": invalid,
                    "language": user.language,
                },
            )
    except IntegrityError as exc:
        raise RegistrationError(CONFLICT) from exc
    return Registered(user=user, finpass=password, referrer=referrer, referral_invalid=invalid)


# -------------------------------------------------------------------------------------- verification
async def verify_status(session: AsyncSession, rt: Runtime, user_id: int) -> VerifyStatus:
    """What the Verify button shows: already verified, locked (until), or the attempts left."""
    async with unit(session):
        user = await session.get(User, user_id, populate_existing=True)
        if user is None:
            raise RegistrationError(NOT_REGISTERED)
        max_attempts = int(await rt.store.get("finpass.max_attempts"))
        locked = user.finpass_locked_until
        if locked is not None and locked > clock.now():
            return VerifyStatus(user.is_verified, locked, 0)
        failed = 0 if locked is not None else user.finpass_failed_attempts  # an expired lock resets
        return VerifyStatus(user.is_verified, None, max(0, max_attempts - failed))


ALREADY_VERIFIED = "already_verified"


async def reissue(session: AsyncSession, rt: Runtime, user_id: int) -> str:
    """A new financial password for a user who never verified (the one shown at registration did not
    arrive — the message failed, the process stopped after the commit — or was lost): a new hash, the
    lock and attempts reset, the plaintext returned to be shown once. No new trust: the first password
    was shown to the same chat. Counted with finpass recoveries (``throttle.finpass_recovery``); a
    verified user recovers through the admins (§3.8)."""
    async with unit(session):
        user = await session.get(User, user_id, populate_existing=True)
        if user is None:
            raise RegistrationError(NOT_REGISTERED)
        if user.is_verified:
            raise RegistrationError(ALREADY_VERIFIED)
    verdict = await limits.hit(rt, "finpass_recovery", user.telegram_id)
    if not verdict.allowed:
        raise RegistrationError(RATE_LIMITED, wait=verdict.wait_seconds)
    plaintext = codes.new_finpass()
    hashed = await crypto.hash_secret_off_loop(plaintext)
    async with unit(session):
        user = await session.get(User, user_id, with_for_update=is_postgres(session), populate_existing=True)
        if user is None:
            raise RegistrationError(NOT_REGISTERED)
        if user.is_verified:
            raise RegistrationError(ALREADY_VERIFIED)
        now = clock.now()
        user.finpass_hash = hashed
        user.finpass_updated_at = now
        user.finpass_failed_attempts = 0
        user.finpass_locked_until = None
        await audit.log_user_action(
            session, user.id, user.telegram_id, "finpass_reissued", target_type="user", target_id=user.id
        )
    return plaintext


async def verify(session: AsyncSession, rt: Runtime, user_id: int, typed: str) -> Verification:
    """Check the typed finpass (lockout applies); success marks the user verified once."""
    async with unit(session):
        result = await finpass.check(session, rt.store, user_id, typed)
        user = await session.get(User, user_id)
        assert user is not None  # finpass.check raised LookupError otherwise
        referrer: User | None = None
        newly = False
        if result.ok and not user.is_verified:
            newly = True
            user.is_verified = True
            user.verified_at = clock.now()
            await audit.log_user_action(
                session, user.id, user.telegram_id, "verified", target_type="user", target_id=user.id
            )
            if user.referrer_id is not None:
                found = await session.get(User, user.referrer_id)
                if found is not None and not found.is_banned:
                    referrer = found
    return Verification(check=result, user=user, newly_verified=newly, referrer=referrer)
