"""Runtime system settings (SPEC §10.2, §3.13): typed catalogue, validation, cached reads.

Values are stored JSON-encoded in ``system_settings`` (decimals as strings). Reads go through
a cache with a 10 s TTL so a change reaches every replica within 15 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.config import Config
from sigmatrade.db.models import SystemSetting
from sigmatrade.db.session import begin_read, held_session, is_postgres
from sigmatrade.domain.addresses import ParsedAddress, parse_address
from sigmatrade.domain.jobs import JOB_INTERVALS
from sigmatrade.domain.money import canonical, to_decimal

CACHE_TTL_SECONDS = 10.0


class SettingError(ValueError):
    """An invalid value; the message names the rule that failed."""


class Kind:
    def encode(self, value: Any) -> Any:
        return value

    def decode(self, raw: Any) -> Any:
        return raw

    def parse(self, text: str) -> Any:
        raise SettingError("this setting cannot be typed in")

    def check(self, value: Any) -> None:
        return None

    def show(self, value: Any) -> str:
        return "—" if value is None else str(value)


@dataclass(frozen=True)
class Bool(Kind):
    def parse(self, text: str) -> bool:
        low = text.strip().lower()
        if low in ("1", "true", "on", "yes", "да", "вкл"):
            return True
        if low in ("0", "false", "off", "no", "нет", "выкл"):
            return False
        raise SettingError("expected on/off")

    def check(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise SettingError("expected on/off")

    def show(self, value: Any) -> str:
        return "on" if value else "off"


@dataclass(frozen=True)
class Int(Kind):
    min: int | None = None
    max: int | None = None
    nullable: bool = False

    def parse(self, text: str) -> int | None:
        text = text.strip()
        if self.nullable and text.lower() in ("", "-", "off", "null", "none"):
            return None
        if not re.fullmatch(r"-?\d+", text):
            raise SettingError("expected a whole number")
        return int(text)

    def check(self, value: Any) -> None:
        if value is None and self.nullable:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError("expected a whole number")
        if self.min is not None and value < self.min:
            raise SettingError(f"must be ≥ {self.min}")
        if self.max is not None and value > self.max:
            raise SettingError(f"must be ≤ {self.max}")


def _parse_decimal(text: str) -> Decimal:
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise SettingError("expected a decimal number such as 12.5")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise SettingError("expected a decimal number") from exc


@dataclass(frozen=True)
class Dec(Kind):
    min: Decimal | None = None
    max: Decimal | None = None
    places: int = 18
    nullable: bool = False
    min_exclusive: bool = False

    def encode(self, value: Any) -> Any:
        return None if value is None else canonical(value)

    def decode(self, raw: Any) -> Any:
        return None if raw is None else to_decimal(raw)

    def parse(self, text: str) -> Decimal | None:
        if self.nullable and text.strip().lower() in ("", "-", "off", "null", "none"):
            return None
        return _parse_decimal(text)

    def check(self, value: Any) -> None:
        if value is None and self.nullable:
            return
        if not isinstance(value, Decimal) or not value.is_finite():
            raise SettingError("expected a decimal number")
        if value != value.quantize(Decimal(1).scaleb(-self.places)):
            raise SettingError(f"at most {self.places} decimals")
        if self.min is not None and (value <= self.min if self.min_exclusive else value < self.min):
            raise SettingError(f"must be {'>' if self.min_exclusive else '≥'} {canonical(self.min)}")
        if self.max is not None and value > self.max:
            raise SettingError(f"must be ≤ {canonical(self.max)}")

    def show(self, value: Any) -> str:
        return "—" if value is None else canonical(value)


@dataclass(frozen=True)
class DecList(Kind):
    length: int | None = None
    min: Decimal = Decimal(0)
    max: Decimal | None = None
    increasing: bool = False
    positive: bool = False
    nullable_items: bool = False
    places: int = 18

    def encode(self, value: Any) -> Any:
        return [None if v is None else canonical(v) for v in value]

    def decode(self, raw: Any) -> Any:
        return [None if v is None else to_decimal(v) for v in raw]

    def parse(self, text: str) -> list[Decimal | None]:
        parts = [p for p in re.split(r"[\s|;/]+", text.strip()) if p]
        out: list[Decimal | None] = []
        for part in parts:
            if self.nullable_items and part.lower() in ("-", "null", "none", "off"):
                out.append(None)
            else:
                out.append(_parse_decimal(part))
        return out

    def check(self, value: Any) -> None:
        if not isinstance(value, list) or not value:
            raise SettingError("expected a list of numbers")
        if self.length is not None and len(value) != self.length:
            raise SettingError(f"expected exactly {self.length} values")
        prev: Decimal | None = None
        for item in value:
            if item is None:
                if not self.nullable_items:
                    raise SettingError("empty values are not allowed")
                continue
            Dec(min=self.min, max=self.max, places=self.places, min_exclusive=self.positive).check(item)
            if self.increasing and prev is not None and item <= prev:
                raise SettingError("values must be strictly increasing")
            prev = item

    def show(self, value: Any) -> str:
        return " / ".join("—" if v is None else canonical(v) for v in value)


@dataclass(frozen=True)
class IntList(Kind):
    length: int | None = None
    min: int = 0
    max: int | None = None

    def parse(self, text: str) -> list[int]:
        parts = [p for p in re.split(r"[\s,|;/]+", text.strip()) if p]
        if not all(re.fullmatch(r"\d+", p) for p in parts):
            raise SettingError("expected whole numbers")
        return [int(p) for p in parts]

    def check(self, value: Any) -> None:
        if not isinstance(value, list) or not value:
            raise SettingError("expected a list of whole numbers")
        if self.length is not None and len(value) != self.length:
            raise SettingError(f"expected exactly {self.length} values")
        for item in value:
            Int(min=self.min, max=self.max).check(item)

    def show(self, value: Any) -> str:
        return " / ".join(str(v) for v in value)


@dataclass(frozen=True)
class Choice(Kind):
    options: tuple[str, ...] = ()

    def parse(self, text: str) -> str:
        return text.strip().lower()

    def check(self, value: Any) -> None:
        if value not in self.options:
            raise SettingError("one of: " + ", ".join(self.options))


@dataclass(frozen=True)
class Text(Kind):
    max_len: int = 200
    pattern: str | None = None

    def parse(self, text: str) -> str:
        text = text.strip()
        return "" if text in ("-", "none") else text

    def check(self, value: Any) -> None:
        if not isinstance(value, str) or len(value) > self.max_len:
            raise SettingError(f"text up to {self.max_len} characters")
        if value and self.pattern and not re.fullmatch(self.pattern, value):
            raise SettingError("unexpected format")


@dataclass(frozen=True)
class Address(Kind):
    def parse(self, text: str) -> str | None:
        parsed = parse_address(text.strip())
        if not isinstance(parsed, ParsedAddress):
            raise SettingError("expected a 0x address with a valid checksum")
        return parsed.checksum

    def check(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not isinstance(parse_address(value), ParsedAddress):
            raise SettingError("expected a 0x address")


SUPER = "super"
EXTENDED = "extended"
READONLY = "readonly"


@dataclass(frozen=True)
class SettingDef:
    key: str
    group: str
    kind: Kind
    default: Any
    editable: str = SUPER
    extra_check: Callable[[Any], None] | None = field(default=None, compare=False)

    def validate(self, value: Any) -> None:
        self.kind.check(value)
        if self.extra_check is not None:
            self.extra_check(value)


D = Decimal


def _rates_check(value: Any) -> None:
    if sum(value, D(0)) <= 0:
        raise SettingError("at least one rate must be positive")


def _delays_check(value: Any) -> None:
    if any(v <= 0 for v in value):
        raise SettingError("delays must be positive")


def _catalogue() -> list[SettingDef]:
    items = [
        SettingDef("deposit.system_wallet_address", "wallets", Address(), None, READONLY),
        SettingDef("payout.wallet_address", "wallets", Address(), None, READONLY),
        SettingDef("wallets.version", "wallets", Int(min=1), 1, READONLY),
        SettingDef("wallet.change_require_second_approver", "security", Bool(), False),
        SettingDef("deposit.enabled", "deposits", Bool(), True),
        SettingDef("deposit.max_open_level", "deposits", Int(1, 5), 1, EXTENDED),
        SettingDef(
            "deposit.level_amounts",
            "deposits",
            DecList(length=5, increasing=True, positive=True, places=2),
            [D(10), D(50), D(100), D(150), D(300)],
        ),
        SettingDef(
            "deposit.level_required_referrals", "deposits", IntList(length=5, max=1000), [0, 1, 2, 3, 4]
        ),
        SettingDef("deposit.pending_ttl_hours", "deposits", Int(1, 720), 24),
        SettingDef("deposit.tolerance_mode", "deposits", Choice(options=("fixed", "percent")), "fixed"),
        SettingDef("deposit.tolerance_fixed", "deposits", Dec(min=D(0), max=D(100), places=2), D("0.01")),
        SettingDef("deposit.tolerance_percent", "deposits", Dec(min=D(0), max=D(50), places=4), D(5)),
        SettingDef("deposit.dust_floor", "deposits", Dec(min=D(0), max=D(1000), places=2), D("1.00")),
        SettingDef("deposit.retired_address_grace_hours", "deposits", Int(0, 24 * 90), 48),
        SettingDef("reward.enabled", "rewards", Bool(), True),
        SettingDef("reward.accrual_period_hours", "rewards", Int(1, 168), 24),
        SettingDef(
            "reward.level_caps_percent",
            "rewards",
            DecList(length=5, nullable_items=True, positive=True, max=D(100000), places=4),
            [D(500), None, None, None, None],
        ),
        SettingDef(
            "referral.rates",
            "referrals",
            DecList(length=3, max=D(100), places=4),
            [D(3), D(2), D(5)],
            extra_check=_rates_check,
        ),
        SettingDef("referral.on_accruals", "referrals", Bool(), False),
        SettingDef("withdrawal.enabled", "withdrawals", Bool(), True),
        SettingDef("withdrawal.min", "withdrawals", Dec(min=D(0), places=2, min_exclusive=True), D(5)),
        SettingDef(
            "withdrawal.max", "withdrawals", Dec(min=D(0), places=2, min_exclusive=True), D(1_000_000)
        ),
        SettingDef("withdrawal.fee_percent", "withdrawals", Dec(min=D(0), max=D(50), places=4), D(0)),
        SettingDef(
            "withdrawal.daily_limit",
            "withdrawals",
            Dec(min=D(0), places=2, nullable=True, min_exclusive=True),
            None,
        ),
        SettingDef(
            "withdrawal.auto_approve_below",
            "withdrawals",
            Dec(min=D(0), places=2, nullable=True, min_exclusive=True),
            None,
        ),
        SettingDef(
            "withdrawal.two_admin_threshold",
            "withdrawals",
            Dec(min=D(0), places=2, min_exclusive=True),
            D(1000),
        ),
        SettingDef("payout.sending_enabled", "payouts", Bool(), True),
        SettingDef("payout.auto_enabled", "payouts", Bool(), False),
        SettingDef("payout.auto_interval_minutes", "payouts", Int(1, 10080), 60),
        SettingDef("payout.auto_threshold", "payouts", Dec(min=D(0), places=2, min_exclusive=True), D(10)),
        SettingDef(
            "payout.min_net_amount", "payouts", Dec(min=D(0), places=2, min_exclusive=True), D("1.00")
        ),
        SettingDef("payout.low_usdt_threshold", "payouts", Dec(min=D(0), places=2), D(100)),
        SettingDef("payout.low_bnb_threshold", "payouts", Dec(min=D(0), places=8), D("0.05")),
        SettingDef(
            "payment_retry.delays_minutes",
            "payouts",
            IntList(min=1, max=10080),
            [1, 2, 4, 8, 16],
            extra_check=_delays_check,
        ),
        SettingDef(
            "notifications.retry_delays_seconds",
            "jobs",
            IntList(min=1, max=604800),
            [60, 300, 900, 3600, 7200],
        ),
        SettingDef("finpass.max_attempts", "security", Int(1, 100), 5),
        SettingDef("finpass.lockout_minutes", "security", Int(1, 10080), 15),
        SettingDef("admin.session_minutes", "security", Int(5, 1440), 60),
        SettingDef("admin.login_max_attempts", "security", Int(1, 100), 3),
        SettingDef("admin.login_lockout_minutes", "security", Int(1, 10080), 15),
        SettingDef("throttle.updates_per_minute", "security", Int(1, 10000), 30),
        SettingDef("throttle.mute_minutes", "security", Int(1, 1440), 5),
        SettingDef("throttle.registration", "security", Text(pattern=r"\d+/\d+[smhd]"), "3/1h"),
        SettingDef("throttle.deposit_activation", "security", Text(pattern=r"\d+/\d+[smhd]"), "10/1h"),
        SettingDef("throttle.withdrawal_request", "security", Text(pattern=r"\d+/\d+[smhd]"), "5/1h"),
        SettingDef("throttle.finpass_recovery", "security", Text(pattern=r"\d+/\d+[smhd]"), "3/1d"),
        SettingDef("throttle.support_ticket", "security", Text(pattern=r"\d+/\d+[smhd]"), "5/1d"),
        SettingDef("throttle.support_part", "security", Text(pattern=r"\d+/\d+[smhd]"), "30/1h"),
        SettingDef("throttle.contacts_update", "security", Text(pattern=r"\d+/\d+[smhd]"), "5/1h"),
        SettingDef("broadcast.rate_per_second", "broadcast", Int(1, 30), 25),
        SettingDef("broadcast.cooldown_minutes", "broadcast", Int(0, 1440), 5),
        SettingDef("support.auto_close_days", "support", Int(1, 365), 7),
        SettingDef("analytics.retention_days", "jobs", Int(1, 3650), 90),
        SettingDef("backup.retention_days", "jobs", Int(1, 3650), 30),
        SettingDef("monitoring.report_to_admins", "jobs", Bool(), False),
        SettingDef("site.url", "support", Text(max_len=200, pattern=r"https?://\S+"), ""),
        SettingDef(
            "site.support_email", "support", Text(max_len=200, pattern=r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"), ""
        ),
    ]
    for job, interval in JOB_INTERVALS.items():
        items.append(SettingDef(f"job.{job}.enabled", "jobs", Bool(), True))
        items.append(SettingDef(f"job.{job}.interval_seconds", "jobs", Int(1, 7 * 86400), interval))
    return items


CATALOGUE: dict[str, SettingDef] = {item.key: item for item in _catalogue()}
GROUPS: tuple[str, ...] = (
    "deposits",
    "rewards",
    "referrals",
    "withdrawals",
    "payouts",
    "broadcast",
    "support",
    "jobs",
    "security",
    "wallets",
)


def definition(key: str) -> SettingDef:
    try:
        return CATALOGUE[key]
    except KeyError:
        raise SettingError(f"unknown setting {key}") from None


def encode(key: str, value: Any) -> str:
    spec = definition(key)
    spec.validate(value)
    return json.dumps(spec.kind.encode(value))


def decode(key: str, raw: str) -> Any:
    return definition(key).kind.decode(json.loads(raw))


def initial_values(env: Config, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Defaults, with the values the environment seeds (wallets, job switches and intervals)."""
    environ = dict(os.environ) if environ is None else environ
    values = {key: spec.default for key, spec in CATALOGUE.items()}
    values["deposit.system_wallet_address"] = env.system_wallet_address
    values["payout.wallet_address"] = env.payout_wallet_address
    values["job.blockchain_monitor.interval_seconds"] = max(1, int(env.chain_poll_interval_seconds))
    for job in JOB_INTERVALS:
        flag = environ.get(f"JOB_{job.upper()}_ENABLED")
        if flag is not None and flag != "":
            values[f"job.{job}.enabled"] = Bool().parse(flag)
        interval = environ.get(f"JOB_{job.upper()}_INTERVAL_SECONDS")
        if interval:
            values[f"job.{job}.interval_seconds"] = Int(1).parse(interval)
    for key, value in values.items():
        CATALOGUE[key].validate(value)
    return values


async def seed(session: AsyncSession, env: Config) -> list[str]:
    """Insert missing settings (existing values are never overwritten). Returns the keys added."""
    existing = set((await session.scalars(select(SystemSetting.key))).all())
    added = []
    for key, value in initial_values(env).items():
        if key not in existing:
            session.add(SystemSetting(key=key, value=encode(key, value)))
            added.append(key)
    await session.flush()
    return added


class SettingsStore:
    """Cached typed reads of ``system_settings`` (TTL 10 s).

    A stale cache is refreshed through its own short session, except inside a write transaction
    held by the calling flow (``unit``): then the values are read through that transaction's
    session (a second connection would wait for the lock this flow holds on SQLite) and used for
    this read only; the cache is filled from committed reads alone.
    """

    def __init__(self, sessionmaker: Callable[[], AsyncSession], ttl: float = CACHE_TTL_SECONDS) -> None:
        self._sessionmaker = sessionmaker
        self._ttl = ttl
        self._cache: dict[str, Any] = {}
        self._loaded_at: float | None = None
        self._refreshing = asyncio.Lock()

    def invalidate(self) -> None:
        self._loaded_at = None

    def _stale(self) -> bool:
        return self._loaded_at is None or time.monotonic() - self._loaded_at > self._ttl

    @staticmethod
    async def _load(session: AsyncSession) -> dict[str, Any]:
        return await read(session)

    async def _current(self) -> dict[str, Any]:
        if not self._stale():
            return self._cache
        unit_session = held_session()
        if unit_session is not None:
            return await self._load(unit_session)
        # One refresh at a time: the readers that find the cache stale together share it.
        async with self._refreshing:
            if self._stale():
                async with self._sessionmaker() as session:
                    await begin_read(session)  # a snapshot read: no write lock on SQLite
                    cache = await self._load(session)
                    await session.rollback()
                self._cache = cache
                self._loaded_at = time.monotonic()
            return self._cache

    async def get(self, key: str) -> Any:
        definition(key)
        return (await self._current())[key]

    async def many(self, keys: Sequence[str]) -> dict[str, Any]:
        for key in keys:
            definition(key)
        values = await self._current()
        return {key: values[key] for key in keys}

    async def snapshot(self) -> dict[str, Any]:
        return dict(await self._current())


async def read(session: AsyncSession, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """The stored values of ``keys`` (every setting by default) read now in the caller's transaction,
    past the store's cache: for a decision that must see a switch an admin turned a moment ago (the
    reward calculator's batches, the rules between settings) and for the store's own refresh."""
    wanted = list(CATALOGUE) if keys is None else list(keys)
    values = {key: definition(key).default for key in wanted}
    stmt = select(SystemSetting.key, SystemSetting.value)
    if keys is not None:
        stmt = stmt.where(SystemSetting.key.in_(wanted))
    for key, raw in await session.execute(stmt):
        if key in values:
            values[key] = decode(key, raw)
    return values


# Rules between settings (each key alone is checked by its kind): (keys, rule → the broken rule or None).
def _min_max(v: dict[str, Any]) -> str | None:
    if v["withdrawal.min"] > v["withdrawal.max"]:
        return "withdrawal.min must not exceed withdrawal.max"
    return None


def _daily(v: dict[str, Any]) -> str | None:
    limit = v["withdrawal.daily_limit"]
    if limit is not None and limit < v["withdrawal.min"]:
        return "withdrawal.daily_limit must be at least withdrawal.min"
    return None


def _net(v: dict[str, Any]) -> str | None:
    net = v["withdrawal.min"] * (100 - v["withdrawal.fee_percent"]) / 100
    if net < v["payout.min_net_amount"]:
        return "withdrawal.min after withdrawal.fee_percent must be at least payout.min_net_amount"
    return None


def _rates_total(v: dict[str, Any]) -> str | None:
    if sum(v["referral.rates"], D(0)) > 100:
        return "referral.rates must add up to 100 % at most"
    return None


def _tolerance(v: dict[str, Any]) -> str | None:
    if v["deposit.tolerance_fixed"] >= v["deposit.level_amounts"][0]:
        return "deposit.tolerance_fixed must be below the smallest level amount"
    return None


CROSS_RULES: tuple[tuple[tuple[str, ...], Callable[[dict[str, Any]], str | None]], ...] = (
    (("withdrawal.min", "withdrawal.max"), _min_max),
    (("withdrawal.min", "withdrawal.daily_limit"), _daily),
    (("withdrawal.min", "withdrawal.fee_percent", "payout.min_net_amount"), _net),
    (("referral.rates",), _rates_total),
    (("deposit.tolerance_fixed", "deposit.level_amounts"), _tolerance),
)


async def check_related(session: AsyncSession, key: str) -> None:
    """The rules between ``key`` and the settings it must agree with, on the values as stored now
    (call after :func:`write`, in its transaction, to refuse a change that breaks one)."""
    for keys, rule in CROSS_RULES:
        if key in keys:
            broken = rule(await read(session, keys))
            if broken is not None:
                raise SettingError(broken)


async def write(session: AsyncSession, key: str, value: Any, admin_id: int | None) -> tuple[Any, Any]:
    """Validate and store one value in the caller's transaction. Returns (before, after)."""
    spec = definition(key)
    spec.validate(value)
    row = await session.get(SystemSetting, key, with_for_update=is_postgres(session))
    before = decode(key, row.value) if row else spec.default
    if row is None:
        session.add(SystemSetting(key=key, value=encode(key, value), updated_by_admin_id=admin_id))
    else:
        row.value = encode(key, value)
        row.updated_by_admin_id = admin_id
    await session.flush()
    return before, value
