"""Deposit watcher (SPEC §4.3): Transfer logs of the token to the watched addresses, from a persisted
cursor, with reorg detection and an adaptive block range.

One :meth:`DepositWatcher.scan` is one cycle:

1. **Watched addresses**: the current system deposit wallet plus retired ones whose change was applied
   less than ``deposit.retired_address_grace_hours`` ago (§3.11.4). None configured → nothing to do.
2. **Cursor** ``chain_cursors['usdt_deposits']`` (last fully scanned block, its hash, the chunk size).
   First start: ``CHAIN_START_BLOCK`` (the cursor is the block before it) or head −
   ``CHAIN_INITIAL_LOOKBACK_BLOCKS``.
3. **Reorg check**: the stored hash of the cursor block is compared with the chain (a cursor above the
   head counts as a mismatch); on mismatch the cursor is rewound by ``CHAIN_REORG_REWIND_BLOCKS`` (not
   below ``CHAIN_START_BLOCK`` − 1 when set: earlier blocks are never watched), the
   event is logged and ``sigmatrade_chain_reorgs_total`` counted. Rows already recorded are re-checked
   by the confirmation step (receipts), so the rewind only has to find logs that moved.
4. **Ranges** [cursor+1, min(head, cursor+chunk)]: the hash of the range's last block is read *before*
   ``eth_getLogs``, so a reorg racing the scan leaves a stale hash behind and is caught by the next
   cycle's check. The detections, the cursor and its hash are written in one transaction that first
   locks the cursor row and verifies it did not move (a concurrent watcher → the range is dropped and
   the loop continues from the new cursor). The loop stops at the head or when the time budget is used.
5. **Adaptive chunk**: halved on "range too large" refusals and on timeouts (not below the minimum),
   doubled after 3 consecutive successful ranges (not above the maximum), persisted with the cursor.

Per log (idempotent by the transfer's on-chain identity, ``domain.transfers``: tx hash + token, from,
to, value and occurrence within the transaction, never the log index a reorg can change): an existing
row is skipped (a pending one follows the log to its new block / index) unless it is ``orphaned``, in
which case it is revived (new block data, confirmation ``pending``, matching re-run).
New rows record the raw value exactly, amount = raw / 10^decimals, lower-case addresses and block data;
recording, classification and the deposit claim are :func:`services.deposit_lifecycle.record_transfer`. After commit the
user of a matched deposit is told (and admins on a significant deviation).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock, metrics
from sigmatrade.chain.provider import Pinned, ProviderManager, RpcRangeTooLarge, RpcUnavailable
from sigmatrade.chain.runtime import DEPOSIT_CURSOR, ChainRuntime, WatcherState, second_look_cursor
from sigmatrade.chain.token import TRANSFER_TOPIC, TransferEvent, address_topic, decode_transfer_log
from sigmatrade.db.models import ChainCursor, WalletChangeRequest
from sigmatrade.db.session import is_postgres
from sigmatrade.domain.enums import MatchStatus, WalletChangeStatus, WalletChangeType
from sigmatrade.domain.matching import MatchRules
from sigmatrade.domain.money import raw_to_amount
from sigmatrade.domain.transfers import content, occurrences
from sigmatrade.logging import get_logger
from sigmatrade.services import deposit_lifecycle, deposit_matching
from sigmatrade.services import deposit_notices as notices
from sigmatrade.services.deposit_events import ObservedTransfer

if TYPE_CHECKING:
    from sigmatrade.config import Config
    from sigmatrade.db.models import Deposit, User
    from sigmatrade.runtime import Runtime

log = get_logger("sigmatrade.chain.watcher")

GROW_AFTER = 3
HASH_BATCH = 16  # concurrent block-hash reads when checking a range's logs
TIME_BUDGET_SECONDS = 20.0


@dataclass(frozen=True)
class WatchConfig:
    """Everything the watcher and the confirmation step need besides the database and the provider."""

    chain_id: int
    token_address: str
    decimals: int
    confirmation_mode: str = "blocks"
    confirmation_blocks: int = 12
    reorg_rewind_blocks: int = 30
    start_block: int | None = None
    initial_lookback_blocks: int = 5000
    chunk_initial: int = 500
    chunk_min: int = 10
    chunk_max: int = 5000
    orphan_grace_seconds: int = 120
    confirmation_quorum: int = 1  # endpoints that must show the receipt in the same block to confirm
    missing_alert_seconds: float = 600.0  # a missing receipt of a still-canonical block: admins alerted
    time_budget_seconds: float = TIME_BUDGET_SECONDS
    cursor_name: str = DEPOSIT_CURSOR
    batch_size: int = 500
    recheck_depth_blocks: int = 200  # the second look: every block read again this far behind the cursor

    def __post_init__(self) -> None:
        object.__setattr__(self, "token_address", self.token_address.lower())
        if not 1 <= self.chunk_min <= self.chunk_initial <= self.chunk_max:
            raise ValueError("chunk sizes must satisfy 1 <= min <= initial <= max")

    @classmethod
    def from_config(cls, config: Config, **overrides: Any) -> WatchConfig:
        """The configuration of SPEC §10.1 (``overrides`` win, e.g. the checked token of the runtime)."""
        values: dict[str, Any] = {
            "chain_id": config.chain_id,
            "token_address": config.usdt_contract_address,
            "decimals": config.usdt_decimals,
            "confirmation_mode": config.chain_confirmation_mode,
            "confirmation_blocks": config.confirmation_blocks,
            "reorg_rewind_blocks": config.reorg_rewind_blocks,
            "start_block": config.chain_start_block,
            "initial_lookback_blocks": config.chain_initial_lookback_blocks,
            "chunk_initial": config.chain_log_chunk_initial,
            "chunk_min": config.chain_log_chunk_min,
            "chunk_max": config.chain_log_chunk_max,
            "orphan_grace_seconds": config.chain_orphan_grace_seconds,
            "confirmation_quorum": config.chain_confirmation_quorum,
            "recheck_depth_blocks": config.chain_recheck_depth_blocks,
        }
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_runtime(cls, rt: Runtime, **overrides: Any) -> WatchConfig:
        """From ``rt.chain`` (a started ``ChainRuntime``: token, decimals, confirmation policy)."""
        chain = rt.chain
        if not isinstance(chain, ChainRuntime):
            raise ValueError("the chain runtime is not configured")
        values: dict[str, Any] = {
            "chain_id": chain.chain_id,
            "token_address": chain.token_address,
            "decimals": chain.decimals,
            "confirmation_mode": chain.confirmation_mode,
            "confirmation_blocks": chain.confirmation_blocks,
            "reorg_rewind_blocks": chain.reorg_rewind_blocks,
        }
        values.update(overrides)
        return cls.from_config(rt.config, **values)


@dataclass
class CursorState:
    last_block: int
    last_block_hash: str | None
    chunk_size: int


@dataclass
class ScanResult:
    head: int | None = None
    cursor: int | None = None
    start_cursor: int | None = None
    ranges: int = 0
    logs: int = 0
    recorded: int = 0  # new or revived transfer rows
    matched: int = 0
    dust: int = 0
    # transfers first recorded by the trailing re-scan or the second look (missed by the cursor)
    rescued: int = 0
    failed: int = 0  # logs whose recording raised (logged, counted; the cursor stays before them)
    reorg: bool = False
    chunk: int | None = None
    error: str | None = None
    watched: list[str] = field(default_factory=list)

    @property
    def caught_up(self) -> bool:
        return (
            self.error is None
            and self.head is not None
            and self.cursor is not None
            and self.cursor >= self.head
        )

    @property
    def blocks(self) -> int:
        if self.cursor is None or self.start_cursor is None:
            return 0
        return max(0, self.cursor - self.start_cursor)


@dataclass(frozen=True)
class _Event:
    event: TransferEvent
    block_time: datetime | None
    occurrence: int  # domain.transfers: rank among the transaction's logs of the same content


def _content(event: TransferEvent) -> tuple[str, ...]:
    return content(event.tx_hash, event.token, event.from_address, event.to_address, event.raw_value)


@dataclass
class _Detection:
    user: User
    deposit: Deposit
    received: Any
    tx_hash: str
    deviation: bool


def _hex_int(value: Any) -> int:
    return int(str(value), 16)


def _is_timeout(exc: Exception) -> bool:
    text = str(exc).lower()
    return "timeout" in text or "timed out" in text or "no answer within" in text


async def watched_addresses(rt: Runtime, now: datetime | None = None) -> list[str]:
    """Lower-case addresses: the system deposit wallet + retired ones within their grace period."""
    now = now or clock.now()
    current = await rt.store.get("deposit.system_wallet_address")
    grace = int(await rt.store.get("deposit.retired_address_grace_hours"))
    found: list[str] = []
    if current:
        found.append(str(current).lower())
    if grace > 0:
        async with rt.db.session() as session:
            rows = (
                await session.scalars(
                    select(WalletChangeRequest.old_address).where(
                        WalletChangeRequest.type == WalletChangeType.SYSTEM_DEPOSIT,
                        WalletChangeRequest.status == WalletChangeStatus.APPLIED,
                        WalletChangeRequest.applied_at >= now - timedelta(hours=grace),
                        WalletChangeRequest.old_address.is_not(None),
                    )
                )
            ).all()
            await session.commit()
        for address in rows:
            if address and address.lower() not in found:
                found.append(address.lower())
    return found


class DepositWatcher:
    def __init__(
        self, rt: Runtime, provider: ProviderManager, config: WatchConfig, state: WatcherState | None = None
    ) -> None:
        self.rt = rt
        self.provider = provider
        self.config = config
        self.state = state if state is not None else WatcherState()
        self._view: Pinned = provider.pin()  # replaced at the start of every scan attempt

    # ------------------------------------------------------------------ cursor
    @property
    def second_look_name(self) -> str:
        return second_look_cursor(self.config.cursor_name)

    async def read_cursor(self, name: str | None = None) -> CursorState | None:
        async with self.rt.db.session() as session:
            row = await session.get(ChainCursor, name or self.config.cursor_name, populate_existing=True)
            await session.commit()
        if row is None:
            return None
        return CursorState(int(row.last_block), row.last_block_hash, int(row.chunk_size))

    async def _block_hash(self, number: int) -> str | None:
        if number < 0:
            return None
        return await self._view.block_hash(number)

    async def _init_cursor(
        self, head: int, name: str | None = None, last: int | None = None, *, with_second_look: bool = False
    ) -> CursorState:
        """Create the cursor ``name`` (the main one by default) at ``last``; ``with_second_look`` creates
        the second look's at the same block in the same transaction (it must start where the cursor
        starts: created later, it would begin at today's depth and never read what lies before)."""
        cfg = self.config
        name = name or cfg.cursor_name
        if last is None:
            last = (
                cfg.start_block - 1
                if cfg.start_block is not None
                else max(0, head - cfg.initial_lookback_blocks)
            )
        last = min(last, head)
        block_hash = await self._block_hash(last)
        try:
            async with self.rt.db.transaction() as session:
                names = [name, self.second_look_name] if with_second_look else [name]
                session.add_all(
                    ChainCursor(
                        name=n, last_block=last, last_block_hash=block_hash, chunk_size=cfg.chunk_initial
                    )
                    for n in names
                )
        except IntegrityError:
            existing = await self.read_cursor(name)
            if existing is None and with_second_look:  # only the second look's row was there already
                return await self._init_cursor(head, name, last)
            assert existing is not None
            return existing
        log.info("chain_cursor_initialised", cursor=name, last_block=last, head=head)
        return CursorState(last, block_hash, cfg.chunk_initial)

    async def _check_reorg(self, cursor: CursorState, head: int) -> tuple[CursorState, bool]:
        """Compare the stored hash of the cursor block with the chain; rewind on a mismatch."""
        if cursor.last_block < 0 or (cursor.last_block_hash is None and cursor.last_block <= head):
            return cursor, False
        actual = await self._block_hash(cursor.last_block) if cursor.last_block <= head else None
        if actual is not None and actual == cursor.last_block_hash:
            return cursor, False
        floor = self.config.start_block - 1 if self.config.start_block is not None else -1
        rewound = max(floor, min(cursor.last_block, head) - self.config.reorg_rewind_blocks)
        new_hash = await self._block_hash(rewound)
        async with self.rt.db.transaction() as session:
            result = await session.execute(
                update(ChainCursor)
                .where(
                    ChainCursor.name == self.config.cursor_name,
                    ChainCursor.last_block == cursor.last_block,
                )
                .values(last_block=rewound, last_block_hash=new_hash, updated_at=clock.now())
                .execution_options(synchronize_session=False)
            )
            moved = bool(getattr(result, "rowcount", 0))
        if not moved:  # another watcher changed the cursor meanwhile: take its view
            fresh = await self.read_cursor()
            return (fresh or cursor), False
        metrics.chain_reorgs.inc()
        log.warning(
            "chain_reorg_detected",
            cursor_block=cursor.last_block,
            stored_hash=cursor.last_block_hash,
            chain_hash=actual,
            head=head,
            rewound_to=rewound,
        )
        return CursorState(rewound, new_hash, cursor.chunk_size), True

    async def _save_chunk(self, chunk: int, name: str | None = None) -> None:
        async with self.rt.db.transaction() as session:
            await session.execute(
                update(ChainCursor)
                .where(ChainCursor.name == (name or self.config.cursor_name))
                .values(chunk_size=chunk, updated_at=clock.now())
                .execution_options(synchronize_session=False)
            )

    # ------------------------------------------------------------------ scan
    async def scan(self) -> ScanResult:
        """One cycle: reorg check, the trailing re-scan, then ranges up to the head or the time budget.

        The whole cycle reads one endpoint (``ProviderManager.pin``): head, hashes and logs never mix
        nodes. When that endpoint fails, the cycle starts again from the stored cursor on the next
        best one (each endpoint at most once per cycle)."""
        result = ScanResult()
        addresses = await watched_addresses(self.rt)
        result.watched = addresses
        if not addresses:
            if not self.state.no_address_logged:
                log.warning("deposit_watcher_no_address", reason="deposit.system_wallet_address is not set")
                self.state.no_address_logged = True
            return result
        self.state.no_address_logged = False
        deadline = time.monotonic() + self.config.time_budget_seconds
        tried: set[str] = set()
        while True:
            pinned = self.provider.pin(exclude=tried)
            tried.add(pinned.label)
            self._view = pinned
            result.error = None
            try:
                await self._scan_on(pinned, addresses, deadline, result)
            except RpcUnavailable as exc:
                result.error = str(exc)[:300]
                log.warning("chain_scan_endpoint_failed", endpoint=pinned.label, error=result.error)
                if self.provider.has_other(tried):
                    continue
                raise
            return result

    async def _scan_on(
        self, pinned: Pinned, addresses: list[str], deadline: float, result: ScanResult
    ) -> None:
        cfg = self.config
        head = await pinned.block_number()
        result.head = head
        cursor = await self.read_cursor()
        if cursor is None:
            cursor = await self._init_cursor(head, with_second_look=cfg.recheck_depth_blocks > 0)
        cursor, reorg = await self._check_reorg(cursor, head)
        result.reorg = result.reorg or reorg
        if result.start_cursor is None:
            result.start_cursor = cursor.last_block
        topics: list[Any] = [TRANSFER_TOPIC, None, [address_topic(a) for a in addresses]]
        rules = await deposit_matching.load_rules(self.rt.store)
        watched = set(addresses)
        await self._rescan_window(pinned, cursor, topics, watched, rules, result)
        cursor = await self._advance(
            pinned, cursor, cfg.cursor_name, head, topics, watched, rules, deadline, result
        )
        self._finish(result, head, cursor)
        await self._second_look(pinned, head, cursor, topics, watched, rules, deadline, result)

    async def _advance(
        self,
        pinned: Pinned,
        cursor: CursorState,
        name: str,
        target: int,
        topics: list[Any],
        watched: set[str],
        rules: MatchRules,
        deadline: float,
        result: ScanResult,
    ) -> CursorState:
        """Read the ranges after the cursor ``name`` up to ``target`` (the head for the main cursor, the
        recheck depth for the second look's), each recorded with the cursor in one compare-and-set
        transaction, with the cursor's adaptive chunk (halved on "range too large" and on timeouts,
        doubled after ``GROW_AFTER`` good ranges). Stops at the target, the time budget, a reorg under
        the step, or a log that failed to record (the cursor stays before it). An unavailable endpoint
        ends the main cursor's attempt (``scan`` fails over) and only this cycle's second look."""
        cfg = self.config
        main = name == cfg.cursor_name
        while cursor.last_block < target and time.monotonic() < deadline:
            start = cursor.last_block + 1
            end = min(target, cursor.last_block + cursor.chunk_size)
            try:
                end_hash = await self._block_hash(end)
                if end_hash is None:  # the head moved back under us (reorg): next cycle
                    break
                raw_logs = await pinned.get_logs(self._filter(start, end, topics))
                if not await self._canonical(pinned, raw_logs, {end: end_hash}):
                    log.warning(
                        "chain_logs_not_canonical", cursor=name, endpoint=pinned.label, start=start, end=end
                    )
                    break  # the endpoint's chain changed during the step: next cycle re-checks
            except (RpcRangeTooLarge, RpcUnavailable) as exc:
                self.state.successes[name] = 0
                too_wide = isinstance(exc, RpcRangeTooLarge)
                if (too_wide or _is_timeout(exc)) and cursor.chunk_size > cfg.chunk_min:
                    cursor.chunk_size = max(cfg.chunk_min, cursor.chunk_size // 2)
                    await self._save_chunk(cursor.chunk_size, name)
                    reason = "range" if too_wide else "timeout"
                    log.info("chain_logs_chunk_shrunk", cursor=name, chunk=cursor.chunk_size, reason=reason)
                    if too_wide:
                        continue  # the same step, narrower
                if too_wide:  # refused at the minimum chunk: this cursor cannot go on
                    if main:
                        result.error = f"range too large at the minimum chunk ({cfg.chunk_min}): {exc}"
                    log.error(
                        "chain_logs_range_at_minimum",
                        cursor=name,
                        chunk=cursor.chunk_size,
                        error=str(exc)[:200],
                    )
                    break
                log.warning("chain_logs_unavailable", cursor=name, start=start, end=end, error=str(exc)[:300])
                if main:
                    self._finish(result, target, cursor)
                    raise
                break
            events = self._events(raw_logs, watched)
            successes = self.state.successes.get(name, 0)
            grow = successes + 1 >= GROW_AFTER and cursor.chunk_size < cfg.chunk_max
            chunk = min(cfg.chunk_max, cursor.chunk_size * 2) if grow else cursor.chunk_size
            recorded_before = result.recorded
            outcome = await self._commit_range(cursor, end, end_hash, chunk, events, rules, result, name)
            if outcome is None:
                fresh = await self.read_cursor(name)
                if fresh is None:
                    break
                cursor = fresh
                continue
            committed, advanced = outcome
            if advanced:
                self.state.successes[name] = 0 if grow else successes + 1
                if grow:
                    log.info("chain_logs_chunk_grown", cursor=name, chunk=chunk)
                cursor = CursorState(end, end_hash, chunk)
                if main:
                    result.ranges += 1
                    result.logs += len(events)
            if not main and result.recorded > recorded_before:
                result.rescued += result.recorded - recorded_before
                log.warning(
                    "chain_second_look_recorded",
                    count=result.recorded - recorded_before,
                    start=start,
                    end=end,
                    endpoint=pinned.label,
                )
            await self._after_commit(committed, rules)
            if not advanced:
                break  # the cursor stays before the log that failed: the next cycle reads it again
        return cursor

    async def _second_look(
        self,
        pinned: Pinned,
        head: int,
        main: CursorState,
        topics: list[Any],
        watched: set[str],
        rules: MatchRules,
        deadline: float,
        result: ScanResult,
    ) -> None:
        """Read every block a second time once it is ``recheck_depth_blocks`` behind the cursor, with its
        own cursor (``<cursor>:second_look``) advanced like the main one (``_advance``). A log an
        endpoint had not indexed when the main cursor passed its block, and that was deeper than the
        trailing re-scan by the time it was indexed, is recorded here; without it the transfer was never
        credited (the reconciliation only reported it). Trouble here stops the second look for this
        cycle and nothing else."""
        cfg = self.config
        target = main.last_block - cfg.recheck_depth_blocks
        floor = cfg.start_block - 1 if cfg.start_block is not None else -1
        if cfg.recheck_depth_blocks <= 0 or target <= floor:
            return
        name = self.second_look_name
        # A database from before the second look existed: it starts at today's depth.
        look = await self.read_cursor(name) or await self._init_cursor(head, name, last=target)
        await self._advance(pinned, look, name, target, topics, watched, rules, deadline, result)

    def _finish(self, result: ScanResult, head: int, cursor: CursorState) -> None:
        result.cursor = cursor.last_block
        result.chunk = cursor.chunk_size
        metrics.chain_head.set(head)
        metrics.chain_cursor.set(max(cursor.last_block, 0))
        metrics.chain_lag.set(max(0, head - cursor.last_block))

    def _filter(self, start: int, end: int, topics: list[Any]) -> dict[str, Any]:
        return {
            "fromBlock": hex(start),
            "toBlock": hex(end),
            "address": self.config.token_address,
            "topics": topics,
        }

    async def _canonical(self, pinned: Pinned, raw_logs: list[dict[str, Any]], known: dict[int, str]) -> bool:
        """Every log's block hash equals the pinned endpoint's canonical hash at its height (the
        hashes of the heights not yet known are read concurrently, ``HASH_BATCH`` at a time)."""
        seen: dict[int, set[str]] = {}
        for entry in raw_logs:
            try:
                number = _hex_int(entry["blockNumber"])
                block_hash = str(entry["blockHash"]).lower()
            except (KeyError, TypeError, ValueError):
                continue  # undecodable: left out by _events
            seen.setdefault(number, set()).add(block_hash)
        missing = sorted(n for n in seen if n not in known)
        hashes = dict(known)
        for start in range(0, len(missing), HASH_BATCH):
            batch = missing[start : start + HASH_BATCH]
            for number, canonical in zip(
                batch, await asyncio.gather(*(pinned.block_hash(n) for n in batch)), strict=True
            ):
                if canonical is None:
                    return False
                hashes[number] = canonical
        return all(found == {hashes[number]} for number, found in seen.items())

    async def _rescan_window(
        self,
        pinned: Pinned,
        cursor: CursorState,
        topics: list[Any],
        watched: set[str],
        rules: MatchRules,
        result: ScanResult,
    ) -> None:
        """Re-read the last ``confirmation_blocks`` blocks up to the cursor (SPEC §4.3.3): a log an
        endpoint had not indexed yet when the cursor passed its block is recorded now. Idempotent (the
        transfer identity); the cursor does not move. Trouble here only skips the re-scan."""
        cfg = self.config
        floor = cfg.start_block if cfg.start_block is not None else 0
        start = max(floor, cursor.last_block - max(cfg.confirmation_blocks, 1) + 1)
        if cursor.last_block < 0 or start > cursor.last_block:
            return
        try:
            raw_logs = await pinned.get_logs(self._filter(start, cursor.last_block, topics))
            if not await self._canonical(pinned, raw_logs, {}):
                return
        except RpcRangeTooLarge:
            return
        events = self._events(raw_logs, watched)
        if not events:
            return
        before = result.recorded
        now = clock.now()
        detections: list[_Detection] = []
        async with self.rt.db.transaction() as session:
            for item in events:
                detection = await self._record_isolated(session, item, rules, now, result)
                if detection is not None:
                    detections.append(detection)
        if result.recorded > before:
            result.rescued += result.recorded - before
            log.warning(
                "chain_trailing_rescan_recorded", count=result.recorded - before, endpoint=pinned.label
            )
        await self._after_commit(detections, rules)

    def _events(self, raw_logs: list[dict[str, Any]], watched: set[str]) -> list[_Event]:
        events: list[tuple[TransferEvent, datetime | None]] = []
        for entry in raw_logs:
            try:
                event = decode_transfer_log(entry)
            except (AssertionError, KeyError, TypeError, ValueError) as exc:
                log.warning("chain_log_undecodable", error=str(exc)[:200])
                continue
            if event.removed or event.token != self.config.token_address or event.to_address not in watched:
                continue
            events.append((event, block_time_of(entry)))
        events.sort(key=lambda pair: (pair[0].block_number, pair[0].log_index))
        ranks = occurrences((_content(event), event.log_index) for event, _ in events)
        return [
            _Event(event, block_time, ranks[(_content(event), event.log_index)])
            for event, block_time in events
        ]

    async def _commit_range(
        self,
        cursor: CursorState,
        end: int,
        end_hash: str,
        chunk: int,
        events: list[_Event],
        rules: MatchRules,
        result: ScanResult,
        name: str | None = None,
    ) -> tuple[list[_Detection], bool] | None:
        """Detections + cursor in one transaction; None when the cursor moved (nothing written). The
        flag says whether the cursor advanced: a log that failed to record holds it where it was (the
        others are kept; the range is read again next cycle), since a cursor past it would never come
        back to it (the trailing re-scan covers the last ``CONFIRMATION_BLOCKS`` only)."""
        now = clock.now()
        detections: list[_Detection] = []
        failed_before = result.failed
        async with self.rt.db.transaction() as session:
            name = name or self.config.cursor_name
            stmt = select(ChainCursor).where(ChainCursor.name == name)
            if is_postgres(session):
                stmt = stmt.with_for_update()
            row = await session.scalar(stmt.execution_options(populate_existing=True))
            if row is None or int(row.last_block) != cursor.last_block:
                return None
            for item in events:
                detection = await self._record_isolated(session, item, rules, now, result)
                if detection is not None:
                    detections.append(detection)
            if result.failed > failed_before:
                log.error(
                    "chain_cursor_held",
                    name=name,
                    cursor=cursor.last_block,
                    end=end,
                    failed=result.failed - failed_before,
                )
                return detections, False
            row.last_block = end
            row.last_block_hash = end_hash
            row.chunk_size = chunk
            row.updated_at = now
        return detections, True

    async def _record(
        self,
        session: AsyncSession,
        item: _Event,
        rules: MatchRules,
        now: datetime,
        result: ScanResult,
    ) -> _Detection | None:
        cfg = self.config
        event = item.event
        observed = ObservedTransfer(
            chain_id=cfg.chain_id,
            token=event.token,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
            block_number=event.block_number,
            block_hash=event.block_hash,
            block_time=item.block_time,
            from_address=event.from_address,
            to_address=event.to_address,
            raw_value=event.raw_value,
            amount=raw_to_amount(event.raw_value, cfg.decimals),
            occurrence=item.occurrence,
        )
        recorded = await deposit_lifecycle.record_transfer(session, observed, rules, now)
        if recorded is None:
            return None
        result.recorded += 1
        match, transfer = recorded.match, recorded.transfer
        if match.status == MatchStatus.DUST:
            result.dust += 1
            metrics.deposits_total.labels(event="dust").inc()
            return None
        if match.deposit is None or match.user is None:
            return None
        result.matched += 1
        metrics.deposits_total.labels(event="detected").inc()
        return _Detection(
            match.user,
            match.deposit,
            transfer.amount,
            transfer.tx_hash,
            rules.significant_deviation(match.deposit.expected_amount, transfer.amount),
        )

    async def _record_isolated(
        self, session: AsyncSession, item: _Event, rules: MatchRules, now: datetime, result: ScanResult
    ) -> _Detection | None:
        """:meth:`_record` in a savepoint: one bad log never stops the range for the others."""
        try:
            async with session.begin_nested():
                return await self._record(session, item, rules, now, result)
        except Exception as exc:
            result.failed += 1
            metrics.chain_item_errors.labels(step="scan").inc()
            log.exception(
                "chain_log_record_failed",
                tx_hash=item.event.tx_hash,
                log_index=item.event.log_index,
                error=str(exc)[:300],
            )
            return None

    async def _after_commit(self, detections: list[_Detection], rules: MatchRules) -> None:
        cfg = self.config
        for detection in detections:
            log.info(
                "deposit_detected",
                deposit_id=detection.deposit.id,
                user_id=detection.user.id,
                amount=str(detection.received),
                tx_hash=detection.tx_hash,
            )
            await notices.notify_detected(
                self.rt,
                detection.user,
                detection.deposit,
                detection.received,
                detection.tx_hash,
                confirmation_mode=cfg.confirmation_mode,
                confirmation_blocks=cfg.confirmation_blocks,
            )
            if detection.deviation:
                await notices.alert_deviation(
                    self.rt, detection.user, detection.deposit, detection.received, detection.tx_hash, rules
                )


async def rewind_cursor(rt: Runtime, cursor_name: str, before_block: int) -> bool:
    """Move the cursor back so block ``before_block`` is scanned again (a transfer orphaned there may
    have been re-included at or after it). Never moves the cursor forward. True when it moved."""
    target = max(-1, before_block - 1)
    async with rt.db.transaction() as session:
        result = await session.execute(
            update(ChainCursor)
            .where(ChainCursor.name == cursor_name, ChainCursor.last_block > target)
            .values(last_block=target, last_block_hash=None, updated_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    moved = bool(getattr(result, "rowcount", 0))
    if moved:
        log.info("chain_cursor_rewound", cursor=cursor_name, last_block=target, reason="orphaned_transfer")
    return moved


def block_time_of(entry: dict[str, Any]) -> datetime | None:
    """The log's block timestamp when the node includes it (``blockTimestamp``)."""
    value = entry.get("blockTimestamp")
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(_hex_int(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return None
