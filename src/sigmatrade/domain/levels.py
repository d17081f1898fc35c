"""Deposit levels (SPEC §3.2): the level table of a settings snapshot, the activation check and the
status of each level on the Deposits screen.

Pure functions over plain data. The activation check for user U and level L applies the rules in
the order of the specification and returns the first failing one (with the data its message needs):

1. deposits enabled (and a system deposit wallet configured), U registered, verified, not banned;
2. 1 ≤ L ≤ ``deposit.max_open_level``;
3. L = 1: no level-1 deposit of U in ``pending``, ``detected`` or ``confirmed``;
4. L ≥ 2: no deposit of U at level L in ``pending``, ``detected``, ``confirmed`` or ``completed``;
   a deposit of level L−1 in ``confirmed`` or ``completed``; at least the required number of
   verified, non-banned direct referrals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sigmatrade.domain.enums import DepositStatus

LEVELS = (1, 2, 3, 4, 5)
MIN_LEVEL, MAX_LEVEL = 1, 5

# Statuses that block another level-1 purchase (one active cycle at a time).
L1_BLOCKING = frozenset({DepositStatus.PENDING, DepositStatus.DETECTED, DepositStatus.CONFIRMED})
# Statuses that mean a level ≥ 2 is bought or being bought.
BOUGHT = frozenset(
    {DepositStatus.PENDING, DepositStatus.DETECTED, DepositStatus.CONFIRMED, DepositStatus.COMPLETED}
)
# A level counts as reached (for the next level's requirement) in these statuses.
REACHED = frozenset({DepositStatus.CONFIRMED, DepositStatus.COMPLETED})
# Open deposits: created, transfer not (yet) confirmed.
OPEN = frozenset({DepositStatus.PENDING, DepositStatus.DETECTED})

# Refusal codes, in the order the rules are checked.
DISABLED = "disabled"
NO_WALLET = "no_wallet"
NOT_REGISTERED = "not_registered"
NOT_VERIFIED = "not_verified"
BANNED = "banned"
LEVEL_CLOSED = "level_closed"
CYCLE_OPEN = "cycle_open"
ALREADY_BOUGHT = "already_bought"
PREVIOUS_LEVEL = "previous_level"
REFERRALS = "referrals"
RULE_ORDER = (
    DISABLED,
    NO_WALLET,
    NOT_REGISTERED,
    NOT_VERIFIED,
    BANNED,
    LEVEL_CLOSED,
    CYCLE_OPEN,
    ALREADY_BOUGHT,
    PREVIOUS_LEVEL,
    REFERRALS,
)
# Refusals that concern the user or the whole service, not one level.
GLOBAL_CODES = frozenset({DISABLED, NO_WALLET, NOT_REGISTERED, NOT_VERIFIED, BANNED})


@dataclass(frozen=True)
class LevelSpec:
    """One level as the settings define it now (deposits keep their own snapshot)."""

    level: int
    amount: Decimal
    required_referrals: int
    cap_percent: Decimal | None

    @property
    def cap_amount(self) -> Decimal | None:
        """amount × cap% / 100 (exact), or None for an uncapped level."""
        return cap_amount(self.amount, self.cap_percent)


@dataclass(frozen=True)
class LevelTable:
    levels: tuple[LevelSpec, ...]
    max_open_level: int
    enabled: bool = True
    wallet_configured: bool = True

    def spec(self, level: int) -> LevelSpec:
        if not MIN_LEVEL <= level <= len(self.levels):
            raise ValueError(f"no level {level}")
        return self.levels[level - 1]

    @property
    def open_levels(self) -> tuple[LevelSpec, ...]:
        """Levels 1..max_open_level (the ones the Deposits screen shows)."""
        return self.levels[: max(0, min(self.max_open_level, len(self.levels)))]

    def is_open(self, level: int) -> bool:
        return MIN_LEVEL <= level <= min(self.max_open_level, len(self.levels))


@dataclass(frozen=True)
class UserFacts:
    """What the activation check needs to know about a user."""

    registered: bool = True
    verified: bool = True
    banned: bool = False
    deposits: tuple[tuple[int, str], ...] = ()  # (level, status) of every deposit of the user
    verified_referrals: int = 0  # direct referrals that are verified and not banned

    def statuses(self, level: int) -> frozenset[str]:
        return frozenset(status for lvl, status in self.deposits if lvl == level)

    def completed_cycles(self) -> int:
        """Completed level-1 cycles."""
        return sum(1 for lvl, status in self.deposits if lvl == 1 and status == DepositStatus.COMPLETED)


GUEST = UserFacts(registered=False, verified=False)


@dataclass(frozen=True)
class Refusal:
    """The first failing activation rule and the values its message shows."""

    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)


# Level statuses on the Deposits screen.
ACTIVE = "active"  # confirmed (earning)
PENDING = "pending"  # a deposit waits for its transfer or its confirmations
COMPLETED = "completed"  # level ≥ 2 bought and finished (only with a cap configured)
AVAILABLE = "available"
LOCKED = "locked"


@dataclass(frozen=True)
class LevelState:
    level: int
    kind: str
    deposit_status: str | None = None  # the status behind ACTIVE / PENDING / COMPLETED
    refusal: Refusal | None = None  # why LOCKED
    completed_cycles: int = 0  # level 1 only


def cap_amount(amount: Decimal, cap_percent: Decimal | None) -> Decimal | None:
    return None if cap_percent is None else amount * cap_percent / 100


def level_table(snapshot: Mapping[str, Any]) -> LevelTable:
    """The level table of a settings snapshot (``SettingsStore.snapshot()``)."""
    amounts = list(snapshot["deposit.level_amounts"])
    required = list(snapshot["deposit.level_required_referrals"])
    caps = list(snapshot["reward.level_caps_percent"])
    if not len(amounts) == len(required) == len(caps) == len(LEVELS):
        raise ValueError("level settings must have exactly 5 values each")
    levels = tuple(
        LevelSpec(
            level=i + 1,
            amount=Decimal(amounts[i]),
            required_referrals=int(required[i]),
            cap_percent=None if caps[i] is None else Decimal(caps[i]),
        )
        for i in range(len(LEVELS))
    )
    return LevelTable(
        levels=levels,
        max_open_level=int(snapshot["deposit.max_open_level"]),
        enabled=bool(snapshot["deposit.enabled"]),
        wallet_configured=bool(snapshot.get("deposit.system_wallet_address")),
    )


def _user_refusal(table: LevelTable, user: UserFacts) -> Refusal | None:
    if not table.enabled:
        return Refusal(DISABLED)
    if not table.wallet_configured:
        return Refusal(NO_WALLET)
    if not user.registered:
        return Refusal(NOT_REGISTERED)
    if not user.verified:
        return Refusal(NOT_VERIFIED)
    if user.banned:
        return Refusal(BANNED)
    return None


def _first(statuses: Iterable[str], order: Iterable[str]) -> str:
    present = set(statuses)
    return next(status for status in order if status in present)


def check_activation(table: LevelTable, user: UserFacts, level: int) -> Refusal | None:
    """None when ``user`` may activate ``level`` now, else the first failing rule."""
    refusal = _user_refusal(table, user)
    if refusal is not None:
        return refusal
    if not table.is_open(level):
        return Refusal(LEVEL_CLOSED, {"level": level, "max_level": table.max_open_level})
    statuses = user.statuses(level)
    if level == 1:
        blocking = statuses & L1_BLOCKING
        if blocking:
            return Refusal(CYCLE_OPEN, {"level": 1, "status": _first(blocking, _STATUS_ORDER)})
        return None
    bought = statuses & BOUGHT
    if bought:
        return Refusal(ALREADY_BOUGHT, {"level": level, "status": _first(bought, _STATUS_ORDER)})
    if not user.statuses(level - 1) & REACHED:
        return Refusal(PREVIOUS_LEVEL, {"level": level, "previous": level - 1})
    required = table.spec(level).required_referrals
    if user.verified_referrals < required:
        return Refusal(REFERRALS, {"level": level, "required": required, "current": user.verified_referrals})
    return None


# The most "advanced" status is the one reported when several deposits block a level.
_STATUS_ORDER = (
    DepositStatus.CONFIRMED,
    DepositStatus.COMPLETED,
    DepositStatus.DETECTED,
    DepositStatus.PENDING,
)


def level_state(table: LevelTable, user: UserFacts, level: int) -> LevelState:
    """The status a level shows on the Deposits screen: active / pending / completed / available /
    locked with the reason (the activation check's first failing rule)."""
    statuses = user.statuses(level)
    cycles = user.completed_cycles() if level == 1 else 0
    open_now = statuses & OPEN
    if open_now:
        return LevelState(level, PENDING, _first(open_now, _STATUS_ORDER), completed_cycles=cycles)
    if DepositStatus.CONFIRMED in statuses:
        return LevelState(level, ACTIVE, DepositStatus.CONFIRMED, completed_cycles=cycles)
    if level >= 2 and DepositStatus.COMPLETED in statuses:
        return LevelState(level, COMPLETED, DepositStatus.COMPLETED)
    refusal = check_activation(table, user, level)
    if refusal is None:
        return LevelState(level, AVAILABLE, completed_cycles=cycles)
    return LevelState(level, LOCKED, refusal=refusal, completed_cycles=cycles)


def progress(accrued: Decimal, cap: Decimal) -> tuple[Decimal, int]:
    """Level-1 cycle progress: (percent of the cap reached, filled cells of a 10-cell bar).

    The percent is exact here; callers round it for display. Both are clamped to 0..100 / 0..10.
    """
    if cap <= 0:
        return Decimal(0), 0
    percent = max(Decimal(0), min(Decimal(100), accrued * 100 / cap))
    cells = int(percent // 10)
    return percent, cells
