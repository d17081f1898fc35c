"""Configuration: environment variables read once at start (SPEC §10.1), one place.

A missing or malformed value stops the process with one clear line naming the variable
(:class:`ConfigError`).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import warnings
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sigmatrade.domain.addresses import ParsedAddress, parse_address

USDT_BSC = "0x55d398326f99059fF775485246999027B3197955"
TELEGRAM_DEFAULT_API = "https://api.telegram.org"
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


class ConfigError(Exception):
    """A configuration value is missing or malformed. ``str()`` is one line naming the variable."""


def _split_csv(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _address(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    parsed = parse_address(value)
    if not isinstance(parsed, ParsedAddress):
        raise ValueError(f"not a valid 0x address ({parsed.value} check failed)")
    return parsed.checksum


CsvStr = Annotated[list[str], NoDecode]
CsvInt = Annotated[list[int], NoDecode]


class Config(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_DEFAULT_API
    database_url: str = "sqlite+aiosqlite:///./data/sigmatrade.db"
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    redis_url: str | None = None
    super_admin_ids: CsvInt = []
    default_language: Literal["ru", "en"] = "ru"
    display_timezone: str = "UTC"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] | None = None
    log_file: str | None = None
    webhook_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_allowed_ips: CsvStr = []
    update_watchdog_seconds: float = Field(5, gt=0)
    polling_max_in_flight: int = Field(100, ge=1, le=100)
    http_host: str = "0.0.0.0"  # noqa: S104 - a service's health endpoint listens on all interfaces
    http_port: int = Field(8080, ge=0, le=65535)
    encryption_key: SecretStr | None = None
    encryption_keys_old: CsvStr = []
    chain_id: int = Field(56, ge=1)
    bsc_rpc_urls: CsvStr = []
    chain_rpc_plan: Literal["free", "build", "scale", "custom"] = "build"
    chain_rpc_max_concurrent: int = Field(20, ge=1)
    chain_rpc_rps: int = Field(100, ge=1)
    chain_rpc_burst: int = Field(500, ge=1)
    usdt_contract_address: str = USDT_BSC
    usdt_decimals: int = Field(18, ge=0, le=36)
    chain_confirmation_mode: Literal["blocks", "finalized"] = "blocks"
    confirmation_blocks: int = Field(12, ge=0, le=10_000)
    chain_poll_interval_seconds: float = Field(5, gt=0)
    chain_start_block: int | None = Field(None, ge=0)
    chain_initial_lookback_blocks: int = Field(5000, ge=0)
    chain_log_chunk_initial: int = Field(500, ge=1)
    chain_log_chunk_min: int = Field(10, ge=1)
    chain_log_chunk_max: int = Field(5000, ge=1)
    chain_reorg_rewind_blocks: int | None = Field(None, ge=1)
    chain_orphan_grace_seconds: int = Field(120, ge=0)
    # Every block is read a second time this far behind the deposit cursor (0: off): a transfer an
    # endpoint's log index had not caught up with when the cursor passed is still recorded.
    chain_recheck_depth_blocks: int = Field(200, ge=0)
    deposit_amount_tag: bool = True  # finding 12: a unique amount tag per pending deposit
    chain_confirmation_quorum: int = Field(1, ge=1, le=10)
    chain_reconcile_minutes: float = Field(60, ge=0)  # 0: the monitor does not reconcile
    system_wallet_address: str | None = None
    payout_wallet_address: str | None = None
    payout_max_gas_price_gwei: Decimal = Field(Decimal(5), gt=0)
    payout_gas_limit_multiplier: Decimal = Field(Decimal("1.2"), ge=1)
    payout_max_in_flight: int = Field(5, ge=1)
    payout_rebroadcast_seconds: int = Field(60, ge=1)
    payout_stuck_minutes: int = Field(10, ge=1)
    explorer_base_url: str = "https://bscscan.com"
    data_dir: str = "."
    backup_dir: str = "./backups"
    backup_encryption_key: SecretStr | None = None
    backup_local_max_gb: Decimal = Field(Decimal(2), gt=0)
    disk_warn_percent: int = Field(75, ge=1, le=100)
    disk_shed_percent: int = Field(85, ge=1, le=100)
    disk_emergency_percent: int = Field(92, ge=1, le=100)
    memory_warn_mb: int = Field(512, ge=1)
    memory_critical_mb: int = Field(1024, ge=1)
    fsm_ttl_hours: int = Field(24, ge=1)

    @field_validator("super_admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> Any:
        items = _split_csv(value)
        for item in items:
            if not re.fullmatch(r"\d+", str(item)) or int(item) <= 0:
                raise ValueError(f"entry {item!r} is not a positive integer Telegram id")
        return [int(item) for item in items]

    @field_validator("bsc_rpc_urls", "webhook_allowed_ips", "encryption_keys_old", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("bot_token", "webhook_secret", "encryption_key", "backup_encryption_key", mode="before")
    @classmethod
    def _empty_secret(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("redis_url", "webhook_url", "log_file", mode="before")
    @classmethod
    def _empty_str(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("chain_start_block", "chain_reorg_rewind_blocks", "log_format", mode="before")
    @classmethod
    def _empty_optional(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("bot_token")
    @classmethod
    def _token_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", value.get_secret_value()):
            raise ValueError("must look like <digits>:<token>")
        return value

    @field_validator("usdt_contract_address")
    @classmethod
    def _usdt(cls, value: str) -> str:
        checked = _address(value, "USDT_CONTRACT_ADDRESS")
        if checked is None:
            raise ValueError("is required")
        return checked

    @field_validator("system_wallet_address", "payout_wallet_address", mode="before")
    @classmethod
    def _wallets(cls, value: Any) -> Any:
        return _address(value, "address") if isinstance(value, str) or value is None else value

    @field_validator("display_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_url", "explorer_base_url", "webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not _WEBHOOK_SECRET.match(secret):
                raise ValueError(
                    "WEBHOOK_SECRET: required in webhook mode (16+ characters of A-Z a-z 0-9 _ -)"
                )
        if self.environment == "production" and self.encryption_key is None:
            raise ValueError("ENCRYPTION_KEY: required in production")
        if self.encryption_key is not None:
            decode_key(self.encryption_key.get_secret_value(), "ENCRYPTION_KEY")
        for old in self.encryption_keys_old:
            decode_key(old, "ENCRYPTION_KEYS_OLD")
        if self.backup_encryption_key is not None:
            decode_key(self.backup_encryption_key.get_secret_value(), "BACKUP_ENCRYPTION_KEY")
        if not (self.chain_log_chunk_min <= self.chain_log_chunk_initial <= self.chain_log_chunk_max):
            raise ValueError("CHAIN_LOG_CHUNK_INITIAL: must lie between CHAIN_LOG_CHUNK_MIN and _MAX")
        return self

    # ---- derived values -------------------------------------------------------------
    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def reorg_rewind_blocks(self) -> int:
        return self.chain_reorg_rewind_blocks or max(2 * self.confirmation_blocks, 30)

    @property
    def rpc_limits(self) -> tuple[int, int, int]:
        """(max concurrent, requests per second, burst) for the configured plan (SPEC §4.2.5)."""
        plans = {"free": (5, 25, 100), "build": (20, 100, 500), "scale": (50, 200, 1000)}
        if self.chain_rpc_plan == "custom":
            return (self.chain_rpc_max_concurrent, self.chain_rpc_rps, self.chain_rpc_burst)
        return plans[self.chain_rpc_plan]

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.display_timezone)

    @property
    def effective_log_format(self) -> str:
        if self.log_format:
            return self.log_format
        return "console" if self.environment == "development" else "json"

    def require_bot_token(self) -> str:
        if self.bot_token is None:
            raise ConfigError("configuration error: BOT_TOKEN is required (the bot's token from @BotFather)")
        return self.bot_token.get_secret_value()

    def encryption_keys(self) -> tuple[bytes, list[bytes]]:
        """(current key, old keys). Outside production a missing key is generated once into DATA_DIR."""
        if self.encryption_key is not None:
            current = decode_key(self.encryption_key.get_secret_value(), "ENCRYPTION_KEY")
        else:
            current = _generated_key(Path(self.data_dir))
        return current, [decode_key(k, "ENCRYPTION_KEYS_OLD") for k in self.encryption_keys_old]


def decode_key(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(
            text + "=" * (-len(text) % 4),
            altchars=b"-_" if ("-" in text or "_" in text) else None,
            validate=True,
        )
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{name}: not valid base64") from exc
    if len(raw) != 32:
        raise ValueError(f"{name}: must decode to 32 bytes (got {len(raw)})")
    return raw


def _generated_key(data_dir: Path) -> bytes:
    path = data_dir / ".encryption_key"
    if path.exists():
        return decode_key(path.read_text().strip(), "ENCRYPTION_KEY (generated file)")
    data_dir.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode())
    warnings.warn(f"ENCRYPTION_KEY is not set: generated one into {path} (development only)", stacklevel=2)
    return key


def _describe(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
    msg = str(error.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if loc:
        return f"{loc[0].upper()}: {msg}"
    return msg


def load_config(**overrides: Any) -> Config:
    """Read the configuration; raise :class:`ConfigError` with one line naming the variable."""
    try:
        return Config(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"configuration error: {_describe(dict(first))}") from None
