"""The chain runtime of one process (SPEC §4.1, §4.2, §7, §9.4): the provider manager, the token
check, the RPC health probe and the chain part of ``/healthz``.

* ``BSC_RPC_URLS`` empty → chain features are disabled (``rt.chain`` is None, health "not configured").
* Otherwise ``start_chain`` builds the :class:`ProviderManager` (rate-limit plan from the config),
  checks every endpoint's chain id, probes the endpoints once and reads the token's ``decimals()``.
  The deposit watcher and the payout sender run only while ``rt.chain.enabled`` is true:
  ``decimals()`` ≠ ``USDT_DECIMALS`` keeps them disabled until the configuration is fixed and the
  process restarted; a ``decimals()`` call that fails keeps them disabled until a later probe
  manages to read it. Both alert the admins.
* The health probe runs every 30 s in every process (not a leased job): ``eth_blockNumber`` on every
  endpoint, recovery trials for endpoints whose cooldown is over, then the alerts: all endpoints
  down → one critical alert (deduplicated hourly across replicas) and a "recovered" note when an
  endpoint answers again; the RPC thresholds of §4.2.6 (deduplicated hourly per endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from sigmatrade import metrics
from sigmatrade.chain.provider import ProviderManager, RpcError, State
from sigmatrade.chain.token import decode_uint, encode_decimals
from sigmatrade.config import ConfigError
from sigmatrade.logging import get_logger

if TYPE_CHECKING:
    from sigmatrade.db.session import Database
    from sigmatrade.runtime import Runtime
    from sigmatrade.services.notifications import Content
    from sigmatrade.texts.i18n import Translator

log = get_logger("sigmatrade.chain")

PROBE_INTERVAL = 30.0
STARTUP_TIMEOUT = 30.0
DEPOSIT_CURSOR = "usdt_deposits"


def second_look_cursor(name: str = DEPOSIT_CURSOR) -> str:
    """The cursor of a scan's second look (``chain.watcher``): every block read again further back."""
    return f"{name}:second_look"


ALERT_DEDUPE_SECONDS = 3600
ALL_DOWN_DEDUPE_KEY = "rpc_all_down"
ALL_DOWN_MARKER = "rpc_all_down_alerted"
# §4.2.6 thresholds over the last 5 minutes
MIN_REQUESTS_FOR_RATE = 100
MIN_SUCCESS_RATE = 0.95
MAX_QUEUE = 50
MAX_MEDIAN_LATENCY_MS = 2000.0
MAX_UTILISATION = 0.70


class TokenCheck:
    """Outcome of the startup ``decimals()`` check."""

    PENDING = "pending"
    OK = "ok"
    MISMATCH = "decimals_mismatch"
    UNVERIFIED = "decimals_unverified"


@dataclass(frozen=True)
class CursorInfo:
    name: str
    last_block: int
    last_block_hash: str | None
    chunk_size: int


async def read_cursor(db: Database, name: str = DEPOSIT_CURSOR) -> CursorInfo | None:
    """The deposit watcher's cursor (``chain_cursors``), None before its first scan."""
    from sigmatrade.db.models import ChainCursor

    async with db.session() as session:
        row = await session.scalar(select(ChainCursor).where(ChainCursor.name == name))
        if row is None:
            return None
        return CursorInfo(row.name, int(row.last_block), row.last_block_hash, int(row.chunk_size))


def sqlite_file_missing(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (reading it would create an empty one)."""
    if not url.startswith("sqlite"):
        return False
    database = make_url(url).database
    return bool(database) and database != ":memory:" and not Path(str(database)).expanduser().exists()


@dataclass
class WatcherState:
    """The deposit watcher's in-process progress: consecutive successful ranges."""

    successes: dict[str, int] = field(default_factory=dict)  # by cursor (the main one, its second look)
    no_address_logged: bool = False
    reconcile: dict[str, float] = field(default_factory=dict)  # chain.reconcile.periodic's clock


@dataclass
class ChainRuntime:
    """What the deposit watcher and the payout sender need: the provider, the token and its
    decimals, the confirmation policy, and whether they may run at all (``enabled``)."""

    rt: Runtime = field(repr=False)
    provider: ProviderManager
    token_address: str
    decimals: int
    chain_id: int
    confirmation_mode: str = "blocks"
    confirmation_blocks: int = 12
    reorg_rewind_blocks: int = 30
    probe_interval: float = PROBE_INTERVAL
    enabled: bool = False
    token_check: str = TokenCheck.PENDING
    token_decimals: int | None = None  # what the contract reported
    decimals_error: str | None = None
    started_at: float = field(default_factory=time.monotonic)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _alert_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _down_reported: bool = field(default=False, repr=False)
    _pending: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)
    # Kept between job runs: the deposit watcher's progress per cursor, and since when (monotonic) the
    # receipt of a transfer row has been missing.
    watcher_states: dict[str, WatcherState] = field(default_factory=dict, repr=False)
    missing_receipts: dict[int, float] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, *, startup_timeout: float = STARTUP_TIMEOUT) -> None:
        self.provider.on_all_down = self._schedule_transitions
        self.provider.on_recovered = self._schedule_transitions
        try:
            await asyncio.wait_for(self._initial_checks(), startup_timeout)
        except TimeoutError:
            log.warning("chain_startup_checks_timed_out", timeout_s=startup_timeout)
            if self.token_check == TokenCheck.PENDING:
                self.token_check = TokenCheck.UNVERIFIED
                self.decimals_error = "timeout"
        self._task = asyncio.create_task(self._probe_loop(), name="chain-probe")

    async def _initial_checks(self) -> None:
        await self.provider.start()
        await self._alert_wrong_chains()
        await self.provider.probe_all()
        self._publish_head()
        await self.verify_token()
        await self.check_transitions()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.provider.close()

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval)
            try:
                await self.probe_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chain_probe_failed")

    async def probe_once(self) -> None:
        """One health-probe round: probe every endpoint, retry a failed token check, alert."""
        await self.provider.probe_all()
        self._publish_head()
        if self.token_check in (TokenCheck.UNVERIFIED, TokenCheck.PENDING):
            await self.verify_token()
        await self.check_transitions()
        await self.check_thresholds()

    def _publish_head(self) -> None:
        head = self.provider.head()
        if head is not None:
            metrics.chain_head.set(head)

    # ------------------------------------------------------------------ token check
    async def verify_token(self) -> bool:
        """Read ``decimals()`` of the token; the watcher and sender are enabled only when it equals
        ``USDT_DECIMALS``. A mismatch is final for this process; a failed read is retried by the probe."""
        previous = self.token_check
        try:
            actual = decode_uint(await self.provider.eth_call(self.token_address, encode_decimals()))
        except (RpcError, ValueError) as exc:
            self.enabled = False
            self.token_check = TokenCheck.UNVERIFIED
            self.decimals_error = _short_error(exc)
            log.error("chain_token_unverified", token=self.token_address, error=self.decimals_error)
            await self._alert(
                "chain.alert.decimals_unverified",
                dedupe_key=f"chain_decimals_unverified:{self.token_address.lower()}",
                address=self.token_address,
                error=self.decimals_error,
            )
            return False
        self.token_decimals = actual
        self.decimals_error = None
        if actual != self.decimals:
            self.enabled = False
            self.token_check = TokenCheck.MISMATCH
            log.error(
                "chain_token_decimals_mismatch",
                token=self.token_address,
                actual=actual,
                expected=self.decimals,
            )
            await self._alert(
                "chain.alert.decimals_mismatch",
                dedupe_key=f"chain_decimals_mismatch:{self.token_address.lower()}",
                address=self.token_address,
                actual=actual,
                expected=self.decimals,
            )
            return False
        self.enabled = True
        self.token_check = TokenCheck.OK
        log.info("chain_enabled", token=self.token_address, decimals=actual)
        if previous == TokenCheck.UNVERIFIED:
            await self._alert("chain.alert.enabled", decimals=actual)
        return True

    @property
    def disabled_reason(self) -> str | None:
        if self.enabled:
            return None
        return self.token_check if self.token_check != TokenCheck.OK else "disabled"

    # ------------------------------------------------------------------ alerts
    async def _alert(self, key: str, *, dedupe_key: str | None = None, **values: Any) -> int:
        from sigmatrade.services.notifications import Content, notifier

        def build(t: Translator) -> Content:
            return Content(t(key, **values))

        try:
            return await notifier(self.rt).to_admins(
                build, dedupe_key=dedupe_key, dedupe_seconds=ALERT_DEDUPE_SECONDS
            )
        except Exception:
            log.exception("chain_alert_failed", key=key)
            return 0

    def _schedule_transitions(self) -> None:
        """Provider callback (an endpoint state change outside a probe): alert in the background."""
        task = asyncio.ensure_future(self.check_transitions())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def check_transitions(self) -> None:
        """All endpoints down → one critical alert; the first endpoint back → a "recovered" note
        (only when the down alert was sent)."""
        counter = self.rt.counter
        async with self._alert_lock:
            if self.provider.all_down:
                if self._down_reported:
                    return
                self._down_reported = True
                labels = ", ".join(ep.label for ep in self.provider.endpoints)
                sent = await self._alert(
                    "chain.alert.all_down", dedupe_key=ALL_DOWN_DEDUPE_KEY, endpoints=labels
                )
                if sent:
                    await counter.mute(ALL_DOWN_MARKER, 7 * 86400)
                return
            if not self._down_reported:
                return
            self._down_reported = False
            if await counter.muted_for(ALL_DOWN_MARKER) <= 0:
                return
            await counter.mute(ALL_DOWN_MARKER, 0)
            best = self.provider.best()
            await self._alert("chain.alert.recovered", endpoint=best.label if best else "?")

    async def _alert_wrong_chains(self) -> None:
        for ep in self.provider.endpoints:
            if not ep.chain_ok and ep.reported_chain_id is not None:
                await self._alert(
                    "chain.alert.wrong_chain",
                    dedupe_key=f"rpc_wrong_chain:{ep.label}",
                    endpoint=ep.label,
                    reported=ep.reported_chain_id,
                    expected=self.chain_id,
                )

    async def check_thresholds(self) -> None:
        """§4.2.6: success rate < 95 % with ≥ 100 requests, queue > 50, median latency > 2 s,
        utilisation > 70 % over the last 5 minutes → admin alert (hourly per endpoint and kind)."""
        for stats in self.provider.window_stats():
            ep = stats.label
            if stats.requests >= MIN_REQUESTS_FOR_RATE and stats.success_rate < MIN_SUCCESS_RATE:
                await self._alert(
                    "chain.alert.rpc_success_rate",
                    dedupe_key=f"rpc_success_rate:{ep}",
                    endpoint=ep,
                    rate=f"{stats.success_rate * 100:.1f}",
                    requests=stats.requests,
                )
            if stats.max_queued > MAX_QUEUE:
                await self._alert(
                    "chain.alert.rpc_queue",
                    dedupe_key=f"rpc_queue:{ep}",
                    endpoint=ep,
                    queued=stats.max_queued,
                )
            if stats.median_latency_ms > MAX_MEDIAN_LATENCY_MS:
                await self._alert(
                    "chain.alert.rpc_latency",
                    dedupe_key=f"rpc_latency:{ep}",
                    endpoint=ep,
                    latency_ms=round(stats.median_latency_ms),
                )
            if stats.utilisation > MAX_UTILISATION:
                await self._alert(
                    "chain.alert.rpc_utilisation",
                    dedupe_key=f"rpc_utilisation:{ep}",
                    endpoint=ep,
                    percent=round(stats.utilisation * 100),
                )

    def known_head(self) -> int | None:
        head = self.provider.head()
        return int(head) if head is not None else None

    # ------------------------------------------------------------------ health
    async def health(self) -> dict[str, Any]:
        """The chain check of ``/healthz``: ``down`` when every endpoint is down, ``degraded`` when the
        best endpoint is degraded, its head is stale or the watcher/sender are disabled."""
        statuses = self.provider.status()
        best = self.provider.best()
        best_status = next((s for s in statuses if best is not None and s.label == best.label), None)
        head = self.provider.head()
        head_age = best_status.head_age_s if best_status is not None else None
        if self.provider.all_down or best_status is None:
            status = "down"
        elif (
            best_status.state == State.DEGRADED
            or not self.enabled
            or head_age is None
            or head_age > 3 * self.probe_interval
        ):
            status = "degraded"
        else:
            status = "ok"
        body: dict[str, Any] = {
            "status": status,
            "head": head,
            "head_age_s": head_age,
            "best_endpoint": best_status.label if best_status is not None else None,
            "latency_ms": best_status.latency_ms if best_status is not None else None,
            "enabled": self.enabled,
            "token_check": self.token_check,
            "endpoints": [asdict(s) for s in statuses],
        }
        if not self.enabled:
            body["reason"] = self.disabled_reason
        with contextlib.suppress(Exception):
            cursor = await asyncio.wait_for(read_cursor(self.rt.db), 2)
            if cursor is not None:
                body["cursor_block"] = cursor.last_block
                body["lag_blocks"] = max(0, head - cursor.last_block) if head is not None else None
        return body


def _short_error(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def active_chain(rt: Runtime) -> ChainRuntime | None:
    """The chain runtime when the watcher and sender may run (configured and token checked)."""
    chain = rt.chain
    return chain if isinstance(chain, ChainRuntime) and chain.enabled else None


async def start_chain(
    rt: Runtime,
    *,
    probe_interval: float = PROBE_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    timeout: float | None = None,
) -> ChainRuntime | None:
    """Build and check the chain runtime (None when ``BSC_RPC_URLS`` is empty)."""
    config = rt.config
    if not config.bsc_rpc_urls:
        rt.chain = None
        log.info("chain_not_configured")
        return None
    extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
    try:
        provider = ProviderManager(
            config.bsc_rpc_urls,
            chain_id=config.chain_id,
            limits=config.rpc_limits,
            clock=clock,
            **extra,
        )
    except ValueError as exc:
        raise ConfigError(f"configuration error: BSC_RPC_URLS: {exc}") from None
    chain = ChainRuntime(
        rt,
        provider,
        token_address=config.usdt_contract_address,
        decimals=config.usdt_decimals,
        chain_id=config.chain_id,
        confirmation_mode=config.chain_confirmation_mode,
        confirmation_blocks=config.confirmation_blocks,
        reorg_rewind_blocks=config.reorg_rewind_blocks,
        probe_interval=probe_interval,
    )
    rt.chain = chain
    await chain.start()
    log.info(
        "chain_started",
        endpoints=[ep.label for ep in provider.endpoints],
        enabled=chain.enabled,
        token_check=chain.token_check,
        head=provider.head(),
    )
    return chain


async def stop_chain(rt: Runtime) -> None:
    chain = rt.chain
    rt.chain = None
    if isinstance(chain, ChainRuntime):
        await chain.stop()
