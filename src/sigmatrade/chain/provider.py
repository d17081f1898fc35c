"""RPC provider manager (SPEC §4.2): several endpoints with health scoring, failover and recovery,
per-endpoint rate limits (token bucket + concurrency cap, bounded queue), retries for idempotent
reads only, and Prometheus metrics per endpoint and method.

Transport is JSON-RPC over aiohttp (not web3's provider stack) because failover, scoring and rate
limiting are decided per request; signing and ABI use eth-account / eth-abi.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sigmatrade import metrics
from sigmatrade.logging import get_logger

log = get_logger("sigmatrade.chain.rpc")

WINDOW = 100
FAILURES_TO_DOWN = 5
COOLDOWN_START = 30.0
COOLDOWN_MAX = 300.0
READ_ATTEMPTS = 3
READ_BACKOFF = (0.5, 1.0)
QUEUE_LIMIT = 500
REQUEST_TIMEOUT = 10.0
EWMA_ALPHA = 0.2
_RANGE_MARKERS = (
    "range",
    "limit",
    "too many",
    "exceed",
    "block range",
    "query returned more than",
    "response size",
    "log response size",
)


class RpcError(Exception):
    """Base of everything the provider manager raises."""


class RpcUnavailable(RpcError):
    """No endpoint could answer (all down, or every attempt failed)."""


class RpcOverloaded(RpcError):
    """The endpoint's wait queue is full."""


class RpcRangeTooLarge(RpcError):
    """eth_getLogs refused the block range or hit a result limit (shrink the range; not a failure)."""


class RpcCallError(RpcError):
    """The node answered with a JSON-RPC error about the request itself (revert, nonce, …)."""

    def __init__(self, code: int | None, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class _EndpointFailure(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class State(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass
class Limiter:
    """Token bucket (``rps`` refill, ``burst`` capacity) plus a concurrency cap and a bounded queue."""

    max_concurrent: int
    rps: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)
    waiting: int = 0
    inflight: int = 0

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()
        self._slots = asyncio.Semaphore(self.max_concurrent)
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait for a slot and a token; returns the seconds spent waiting."""
        if self.waiting >= QUEUE_LIMIT:
            raise RpcOverloaded("rpc_overloaded")
        started = self.clock()
        self.waiting += 1
        try:
            await self._slots.acquire()
            try:
                async with self._lock:
                    while True:
                        now = self.clock()
                        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rps)
                        self.updated = now
                        if self.tokens >= 1:
                            self.tokens -= 1
                            break
                        await asyncio.sleep((1 - self.tokens) / self.rps)
            except BaseException:
                self._slots.release()
                raise
        finally:
            self.waiting -= 1
        self.inflight += 1
        return self.clock() - started

    def release(self) -> None:
        self.inflight -= 1
        self._slots.release()


@dataclass
class Endpoint:
    label: str
    url: str
    order: int
    limiter: Limiter
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=WINDOW))
    latency_ms: float = 0.0
    head: int | None = None
    head_at: float | None = None
    consecutive_failures: int = 0
    down_until: float | None = None
    cooldown: float = COOLDOWN_START
    chain_ok: bool = True
    score: float = 100.0
    state: State = State.HEALTHY

    @property
    def success_ratio(self) -> float:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else 1.0


@dataclass(frozen=True)
class EndpointStatus:
    label: str
    state: str
    score: float
    latency_ms: float
    head: int | None
    head_lag: int
    success_ratio: float
    inflight: int
    queued: int


def parse_endpoints(urls: list[str]) -> list[tuple[str, str]]:
    """``name=url`` or bare URLs labelled by host (never by full URL: paths may hold API keys)."""
    out: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for raw in urls:
        name, sep, url = raw.partition("=")
        if sep and not name.startswith(("http://", "https://")):
            label, target = name.strip(), url.strip()
        else:
            target = raw.strip()
            label = urlsplit(target).hostname or "rpc"
            port = urlsplit(target).port
            if port:
                label = f"{label}:{port}"
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}#{seen[label]}"
        out.append((label, target))
    return out


class ProviderManager:
    def __init__(
        self,
        urls: list[str],
        *,
        chain_id: int,
        limits: tuple[int, int, int] = (20, 100, 500),
        clock: Callable[[], float] = time.monotonic,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if not urls:
            raise ValueError("no RPC endpoints configured")
        self.chain_id = chain_id
        self.clock = clock
        self.timeout = timeout
        concurrent, rps, burst = limits
        self.endpoints = [
            Endpoint(label, url, i, Limiter(concurrent, rps, burst, clock))
            for i, (label, url) in enumerate(parse_endpoints(urls))
        ]
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self.all_down_since: float | None = None
        self.on_all_down: Callable[[], Any] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        for ep in self.endpoints:
            metrics.rpc_up.labels(endpoint=ep.label).set(1)
            metrics.rpc_score.labels(endpoint=ep.label).set(100)

    # ------------------------------------------------------------------ lifecycle
    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def start(self) -> None:
        """Check every endpoint's chain id; endpoints reporting another chain are excluded."""
        await asyncio.gather(*(self._check_chain(ep) for ep in self.endpoints))

    async def _check_chain(self, ep: Endpoint) -> None:
        try:
            reported = int(await self._request(ep, "eth_chainId", []), 16)
        except (_EndpointFailure, RpcCallError, RpcOverloaded) as exc:
            self._failure(ep, "chain_id", str(exc))
            return
        ep.chain_ok = reported == self.chain_id
        if not ep.chain_ok:
            log.error("rpc_wrong_chain", endpoint=ep.label, reported=reported, expected=self.chain_id)
            ep.state = State.DOWN
            metrics.rpc_up.labels(endpoint=ep.label).set(0)

    # ------------------------------------------------------------------ selection and health
    def _now(self) -> float:
        return self.clock()

    def _best_head(self) -> int | None:
        heads = [ep.head for ep in self.endpoints if ep.head is not None and ep.chain_ok]
        return max(heads) if heads else None

    def _rescore(self, ep: Endpoint) -> None:
        best = self._best_head()
        lag = (best - ep.head) if best is not None and ep.head is not None else 0
        ep.score = max(0.0, min(100.0, 100 * ep.success_ratio - ep.latency_ms / 50 - 5 * lag))
        if not ep.chain_ok or (ep.down_until is not None and ep.down_until > self._now()):
            ep.state = State.DOWN
        elif ep.score < 50 or lag > 20:
            ep.state = State.DEGRADED
        else:
            ep.state = State.HEALTHY
        metrics.rpc_score.labels(endpoint=ep.label).set(ep.score)
        metrics.rpc_up.labels(endpoint=ep.label).set(0 if ep.state == State.DOWN else 1)

    def _usable(self, ep: Endpoint) -> bool:
        if not ep.chain_ok:
            return False
        return ep.down_until is None or ep.down_until <= self._now()

    def ranked(self, exclude: set[str] | None = None) -> list[Endpoint]:
        candidates = [ep for ep in self.endpoints if self._usable(ep) and ep.label not in (exclude or set())]
        for ep in candidates:
            self._rescore(ep)
        return sorted(candidates, key=lambda ep: (-round(ep.score, 6), ep.order))

    def _success(self, ep: Endpoint, latency_ms: float) -> None:
        ep.outcomes.append(True)
        ep.latency_ms = (
            latency_ms if not ep.latency_ms else (1 - EWMA_ALPHA) * ep.latency_ms + EWMA_ALPHA * latency_ms
        )
        recovered = ep.down_until is not None
        ep.consecutive_failures = 0
        ep.down_until = None
        ep.cooldown = COOLDOWN_START
        self.all_down_since = None
        self._rescore(ep)
        if recovered:
            log.info("rpc_endpoint_recovered", endpoint=ep.label)

    def _failure(self, ep: Endpoint, kind: str, detail: str) -> None:
        ep.outcomes.append(False)
        ep.consecutive_failures += 1
        metrics.rpc_errors.labels(endpoint=ep.label, kind=kind).inc()
        if ep.down_until is not None and ep.down_until <= self._now():
            # the recovery probe after a cooldown failed: back down, longer
            ep.cooldown = min(ep.cooldown * 2, COOLDOWN_MAX)
            ep.down_until = self._now() + ep.cooldown
        elif ep.consecutive_failures >= FAILURES_TO_DOWN and ep.down_until is None:
            ep.down_until = self._now() + ep.cooldown
            log.warning("rpc_endpoint_down", endpoint=ep.label, cooldown_s=ep.cooldown, error=detail[:200])
        self._rescore(ep)
        if all(not self._usable(e) for e in self.endpoints) and self.all_down_since is None:
            self.all_down_since = self._now()
            if self.on_all_down is not None:
                with contextlib.suppress(Exception):
                    result = self.on_all_down()
                    if asyncio.iscoroutine(result):
                        task = asyncio.ensure_future(result)
                        self._background.add(task)
                        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ requests
    async def _request(self, ep: Endpoint, method: str, params: list[Any]) -> Any:
        waited = await ep.limiter.acquire()
        if waited > 0.001:
            metrics.rpc_throttled_wait.labels(endpoint=ep.label).inc(waited)
        metrics.rpc_inflight.labels(endpoint=ep.label).set(ep.limiter.inflight)
        metrics.rpc_queue.labels(endpoint=ep.label).set(ep.limiter.waiting)
        started = time.perf_counter()
        outcome = "error"
        try:
            http = await self._http()
            body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            try:
                async with http.post(ep.url, json=body) as resp:
                    if resp.status == 429:
                        raise _EndpointFailure("http_429", "rate limited by the endpoint")
                    if resp.status >= 500:
                        raise _EndpointFailure("http_5xx", f"HTTP {resp.status}")
                    if resp.status >= 400:
                        raise _EndpointFailure("http_4xx", f"HTTP {resp.status}")
                    data = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                raise _EndpointFailure(
                    "timeout" if isinstance(exc, TimeoutError) else "connection",
                    f"{type(exc).__name__}: {exc}",
                ) from exc
            if not isinstance(data, dict):
                raise _EndpointFailure("bad_response", "not a JSON-RPC object")
            if data.get("error"):
                err = data["error"]
                message = str(err.get("message", "")) if isinstance(err, dict) else str(err)
                code = err.get("code") if isinstance(err, dict) else None
                if method == "eth_getLogs" and (
                    code == -32005 or any(m in message.lower() for m in _RANGE_MARKERS)
                ):
                    outcome = "range"
                    raise RpcRangeTooLarge(message)
                if (
                    code in (-32603, -32000)
                    and "internal" in message.lower()
                    and "revert" not in message.lower()
                ):
                    raise _EndpointFailure("rpc_internal", message)
                outcome = "call_error"
                raise RpcCallError(code, message, err.get("data") if isinstance(err, dict) else None)
            if "result" not in data:
                raise _EndpointFailure("bad_response", "no result")
            outcome = "ok"
            return data["result"]
        finally:
            elapsed = time.perf_counter() - started
            ep.limiter.release()
            metrics.rpc_requests.labels(endpoint=ep.label, method=method, outcome=outcome).inc()
            metrics.rpc_duration.labels(endpoint=ep.label, method=method).observe(elapsed)
            metrics.rpc_inflight.labels(endpoint=ep.label).set(ep.limiter.inflight)
            if outcome in ("ok", "call_error", "range"):
                self._success(ep, elapsed * 1000)

    async def call(self, method: str, params: list[Any] | None = None, *, retry: bool = True) -> Any:
        """Call ``method`` on the best endpoint; idempotent reads fail over (3 attempts, 0.5 s / 1 s)."""
        params = params or []
        attempts = READ_ATTEMPTS if retry else 1
        tried: set[str] = set()
        last: Exception | None = None
        for attempt in range(attempts):
            ranked = self.ranked(exclude=tried) or self.ranked()
            if not ranked:
                break
            ep = ranked[0]
            tried.add(ep.label)
            try:
                result = await self._request(ep, method, params)
            except _EndpointFailure as exc:
                self._failure(ep, exc.kind, str(exc))
                last = exc
                if attempt + 1 < attempts:
                    await asyncio.sleep(READ_BACKOFF[min(attempt, len(READ_BACKOFF) - 1)])
                continue
            if method == "eth_blockNumber":
                ep.head = int(result, 16)
                ep.head_at = self._now()
            return result
        raise RpcUnavailable(f"{method}: no endpoint answered ({last})")

    async def send_raw(self, raw_hex: str) -> str:
        """Broadcast signed bytes; on failure the identical bytes go to the next endpoint (safe)."""
        return str(await self.call("eth_sendRawTransaction", [raw_hex], retry=True))

    async def probe_all(self) -> None:
        """Health probe (every 30 s): eth_blockNumber on every endpoint, chain id after recovery."""

        async def probe(ep: Endpoint) -> None:
            if not ep.chain_ok:
                await self._check_chain(ep)
                if not ep.chain_ok:
                    return
            if ep.down_until is not None and ep.down_until > self._now():
                return
            was_down = ep.down_until is not None
            try:
                ep.head = int(await self._request(ep, "eth_blockNumber", []), 16)
                ep.head_at = self._now()
            except _EndpointFailure as exc:
                self._failure(ep, exc.kind, str(exc))
                return
            except RpcError:
                return
            if was_down:
                await self._check_chain(ep)

        await asyncio.gather(*(probe(ep) for ep in self.endpoints))
        for ep in self.endpoints:
            self._rescore(ep)

    def status(self) -> list[EndpointStatus]:
        best = self._best_head()
        out = []
        for ep in self.endpoints:
            self._rescore(ep)
            lag = (best - ep.head) if best is not None and ep.head is not None else 0
            out.append(
                EndpointStatus(
                    ep.label,
                    str(ep.state),
                    round(ep.score, 1),
                    round(ep.latency_ms, 1),
                    ep.head,
                    lag,
                    round(ep.success_ratio, 3),
                    ep.limiter.inflight,
                    ep.limiter.waiting,
                )
            )
        return out

    @property
    def all_down(self) -> bool:
        return all(not self._usable(ep) for ep in self.endpoints)

    # ------------------------------------------------------------------ typed helpers
    async def block_number(self) -> int:
        return int(await self.call("eth_blockNumber"), 16)

    async def get_block(self, block: int | str, full: bool = False) -> dict[str, Any] | None:
        tag = hex(block) if isinstance(block, int) else block
        result = await self.call("eth_getBlockByNumber", [tag, full])
        return dict(result) if result else None

    async def get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await self.call("eth_getLogs", [flt]))

    async def get_receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = await self.call("eth_getTransactionReceipt", [tx_hash])
        return dict(result) if result else None

    async def get_transaction_count(self, address: str, tag: str = "latest") -> int:
        return int(await self.call("eth_getTransactionCount", [address, tag]), 16)

    async def eth_call(self, to: str, data: str, tag: str = "latest") -> str:
        return str(await self.call("eth_call", [{"to": to, "data": data}, tag]))

    async def estimate_gas(self, tx: dict[str, Any]) -> int:
        return int(await self.call("eth_estimateGas", [tx]), 16)

    async def gas_price(self) -> int:
        return int(await self.call("eth_gasPrice"), 16)

    async def get_balance(self, address: str, tag: str = "latest") -> int:
        return int(await self.call("eth_getBalance", [address, tag]), 16)
