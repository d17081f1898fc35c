"""RPC provider manager (SPEC §4.2): several endpoints with health scoring, failover and recovery,
per-endpoint rate limits (token bucket + concurrency cap, bounded queue), retries for idempotent
reads only, and Prometheus metrics per endpoint and method.

Transport is JSON-RPC over aiohttp (not web3's provider stack) because failover, scoring and rate
limiting are decided per request; signing and ABI use eth-account / eth-abi.

Endpoint life cycle:

* ``healthy`` / ``degraded`` by score (``degraded`` when score < 50 or head lag > 20 blocks);
* 5 consecutive endpoint failures → ``down`` for a cooldown (30 s, doubling up to 5 min);
* after the cooldown the endpoint is *half-open*: one trial request (``eth_chainId``, so the chain id
  is checked again after recovery) decides — success → back in rotation, failure → down again with
  twice the cooldown. The health probe (``probe_all``) or a regular call may run the trial.

What counts as an endpoint failure: connection errors, timeouts, HTTP 429/4xx/5xx, malformed answers,
and JSON-RPC errors that describe the node rather than the request (internal error, rate limit,
"header not found", …). Errors about the request itself (revert, bad nonce, …) raise
:class:`RpcCallError`; ``eth_getLogs`` range / result-size refusals raise :class:`RpcRangeTooLarge`.
Neither is retried nor counted against the endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from sigmatrade import metrics
from sigmatrade.domain.hashing import keccak256
from sigmatrade.logging import get_logger, redact

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
DEGRADED_SCORE = 50.0
DEGRADED_LAG = 20
SCORE_TIE = 1.0  # scores within one point are a tie: the configured order decides
STATS_WINDOW = 300.0  # seconds of per-request samples kept for the threshold alerts (§4.2.6)

# eth_getLogs refusals that mean "ask for fewer blocks" (SPEC §4.3), not "this endpoint is broken".
_RANGE_MARKERS = (
    "block range",
    "range too large",
    "range is too large",
    "range limit",
    "exceed maximum block range",
    "exceeds maximum block range",
    "query returned more than",
    "returned more than",
    "more than 10000 results",
    "too many results",
    "result limit",
    "results limit",
    "response size",
    "log response size",
    "max results",
    "logs matched by query exceeds",
    "query timeout exceeded",
)
# JSON-RPC errors that describe the node (overload, lagging, pruned, broken): endpoint failures.
_ENDPOINT_MARKERS = (
    "rate limit",
    "rate-limit",
    "ratelimit",
    "too many requests",
    "limit exceeded",
    "request limit",
    "capacity",
    "header not found",
    "missing trie node",
    "server busy",
    "service unavailable",
    "temporarily unavailable",
    "upstream",
    "backend",
    "internal error",
    "timed out",
    "timeout",
    "unauthorized",
    "forbidden",
    "api key",
)
_REVERT_MARKERS = ("revert", "out of gas", "invalid opcode")
_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "alreadyknown")


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


def classify_error(method: str, code: Any, message: str) -> str:
    """Kind of a JSON-RPC error: ``"range"``, ``"call"`` (about the request) or ``"endpoint"``."""
    text = message.lower()
    if any(m in text for m in _REVERT_MARKERS) or code == 3:
        return "call"
    if method == "eth_getLogs" and any(m in text for m in _RANGE_MARKERS):
        return "range"
    if any(m in text for m in _ENDPOINT_MARKERS) or code in (-32603, -32002, -32029, 429):
        return "endpoint"
    if method == "eth_getLogs" and code == -32005:
        return "range"
    if code == -32005:
        return "endpoint"
    return "call"


@dataclass
class Limiter:
    """Token bucket (``rps`` refill, ``burst`` capacity) plus a concurrency cap and a bounded queue.

    Runs on real (monotonic) time: it sleeps with ``asyncio.sleep``, so an injected test clock
    for cooldowns must not drive it.
    """

    max_concurrent: int
    rps: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    queue_limit: int = QUEUE_LIMIT
    on_change: Callable[[Limiter], None] | None = None
    tokens: float = field(init=False)
    updated: float = field(init=False)
    waiting: int = 0
    inflight: int = 0

    def __post_init__(self) -> None:
        if self.max_concurrent < 1 or self.rps <= 0 or self.burst < 1:
            raise ValueError("rate limits must be positive (max_concurrent ≥ 1, rps > 0, burst ≥ 1)")
        self.tokens = self.burst + 0.0  # a token bucket (time arithmetic, not money)
        self.updated = self.clock()
        self._slots = asyncio.Semaphore(self.max_concurrent)
        self._lock = asyncio.Lock()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    async def acquire(self) -> float:
        """Wait for a slot and a token; returns the seconds spent waiting.

        More than ``queue_limit`` requests already waiting → :class:`RpcOverloaded` at once.
        """
        if self.waiting >= self.queue_limit:
            raise RpcOverloaded("rpc_overloaded: too many requests waiting for this endpoint")
        started = self.clock()
        self.waiting += 1
        self._changed()
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
        self._changed()
        return self.clock() - started

    def release(self) -> None:
        self.inflight -= 1
        self._slots.release()
        self._changed()


@dataclass
class Sample:
    at: float  # monotonic seconds
    ok: bool
    latency_ms: float
    queued: int
    inflight: int


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
    down_until: float | None = None  # set while down (also after the cooldown, until a trial succeeds)
    cooldown: float = COOLDOWN_START
    chain_ok: bool = True
    reported_chain_id: int | None = None
    trial_inflight: bool = False
    score: float = 100.0
    state: State = State.HEALTHY
    last_error: str | None = None
    load: tuple[int, int] = (0, 0)  # (queued, in flight) when the last request started
    samples: deque[Sample] = field(default_factory=deque)

    @property
    def success_ratio(self) -> float:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else 1.0

    @property
    def is_down(self) -> bool:
        return not self.chain_ok or self.down_until is not None


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
    consecutive_failures: int = 0
    cooldown_left_s: float = 0.0
    chain_ok: bool = True
    head_age_s: float | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class WindowStats:
    """One endpoint's requests over the last ``STATS_WINDOW`` seconds (SPEC §4.2.6 thresholds)."""

    label: str
    requests: int
    success_rate: float
    median_latency_ms: float
    max_queued: int
    utilisation: float  # mean in-flight / max concurrent when requests started


def parse_endpoints(urls: Sequence[str]) -> list[tuple[str, str]]:
    """``name=url`` or bare URLs labelled by host (never by full URL: paths may hold API keys)."""
    out: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for raw in urls:
        name, sep, url = raw.partition("=")
        if sep and not name.strip().startswith(("http://", "https://")):
            label, target = name.strip(), url.strip()
        else:
            target = raw.strip()
            parts = urlsplit(target)
            label = parts.hostname or "rpc"
            if parts.port:
                label = f"{label}:{parts.port}"
        if not target.startswith(("http://", "https://")):
            raise ValueError(f"RPC endpoint {label!r}: not an http(s) URL")
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}#{seen[label]}"
        out.append((label, target))
    return out


T = TypeVar("T")


def _quantity(value: Any) -> int:
    """A JSON-RPC hex quantity."""
    return int(str(value), 16)


def receipt_status(receipt: dict[str, Any]) -> int | None:
    """A mined receipt's status (1 success, 0 revert); None when the node serves none (outcome unknown:
    never read as a revert)."""
    status = receipt.get("status")
    return None if status is None else int(str(status), 16)


def transaction_hash(raw_hex: str) -> str:
    """The hash of a signed transaction (keccak of its bytes), as nodes report it."""
    return "0x" + keccak256(bytes.fromhex(raw_hex.removeprefix("0x"))).hex()


class ProviderManager:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        chain_id: int,
        limits: tuple[int, int, int] = (20, 100, 500),
        clock: Callable[[], float] = time.monotonic,
        timeout: float = REQUEST_TIMEOUT,
        retry_backoff: Sequence[float] = READ_BACKOFF,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        if not urls:
            raise ValueError("no RPC endpoints configured")
        self.chain_id = chain_id
        self.clock = clock  # cooldowns, head age (tests inject a fake clock)
        self.timeout = timeout
        self.retry_backoff = tuple(retry_backoff)
        concurrent, rps, burst = limits
        self.endpoints: list[Endpoint] = []
        for i, (label, url) in enumerate(parse_endpoints(urls)):
            limiter = Limiter(
                concurrent, rps, burst, queue_limit=queue_limit, on_change=self._limiter_gauges(label)
            )
            self.endpoints.append(Endpoint(label, url, i, limiter))
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self.all_down_since: float | None = None
        self.on_all_down: Callable[[], Any] | None = None
        self.on_recovered: Callable[[], Any] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        for ep in self.endpoints:
            metrics.rpc_up.labels(endpoint=ep.label).set(1)
            metrics.rpc_score.labels(endpoint=ep.label).set(100)
            metrics.rpc_queue.labels(endpoint=ep.label).set(0)
            metrics.rpc_inflight.labels(endpoint=ep.label).set(0)

    @staticmethod
    def _limiter_gauges(label: str) -> Callable[[Limiter], None]:
        def update(limiter: Limiter) -> None:
            metrics.rpc_queue.labels(endpoint=label).set(limiter.waiting)
            metrics.rpc_inflight.labels(endpoint=label).set(limiter.inflight)

        return update

    # ------------------------------------------------------------------ lifecycle
    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # the limiters cap in-flight requests per endpoint; the connector must not queue below that
            capacity = sum(ep.limiter.max_concurrent for ep in self.endpoints)
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=capacity + len(self.endpoints)),
            )
        return self._session

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> ProviderManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Check every endpoint's chain id; endpoints reporting another chain are excluded."""
        await asyncio.gather(*(self._check_chain(ep) for ep in self.endpoints))

    async def _check_chain(self, ep: Endpoint) -> bool:
        """``eth_chainId`` on ``ep``; True when it answered with the configured chain id."""
        try:
            result = await self._request(ep, "eth_chainId", [])
            reported = int(str(result), 16)
        except (_EndpointFailure, RpcError):
            return False
        except ValueError:
            self._failure(ep, "bad_response", f"eth_chainId answered {result!r}")
            return False
        ep.reported_chain_id = reported
        was_ok = ep.chain_ok
        ep.chain_ok = reported == self.chain_id
        if not ep.chain_ok:
            if was_ok:
                log.error("rpc_wrong_chain", endpoint=ep.label, reported=reported, expected=self.chain_id)
                metrics.rpc_errors.labels(endpoint=ep.label, kind="wrong_chain").inc()
        elif not was_ok:
            log.info("rpc_chain_ok", endpoint=ep.label, chain_id=reported)
        self._rescore(ep)
        self._update_all_down()
        return ep.chain_ok

    # ------------------------------------------------------------------ selection and health
    def _now(self) -> float:
        return self.clock()

    def _best_head(self) -> int | None:
        heads = [ep.head for ep in self.endpoints if ep.head is not None and not ep.is_down]
        if not heads:
            heads = [ep.head for ep in self.endpoints if ep.head is not None and ep.chain_ok]
        return max(heads) if heads else None

    def _lag(self, ep: Endpoint, best: int | None) -> int:
        return max(0, best - ep.head) if best is not None and ep.head is not None else 0

    def _rescore(self, ep: Endpoint) -> None:
        lag = self._lag(ep, self._best_head())
        ep.score = max(0.0, min(100.0, 100 * ep.success_ratio - ep.latency_ms / 50 - 5 * lag))
        if ep.is_down:
            ep.state = State.DOWN
        elif ep.score < DEGRADED_SCORE or lag > DEGRADED_LAG:
            ep.state = State.DEGRADED
        else:
            ep.state = State.HEALTHY
        metrics.rpc_score.labels(endpoint=ep.label).set(ep.score)
        metrics.rpc_up.labels(endpoint=ep.label).set(0 if ep.state == State.DOWN else 1)

    def _half_open(self, ep: Endpoint) -> bool:
        """Down, but the cooldown has passed: one trial request may decide recovery."""
        return ep.chain_ok and ep.down_until is not None and ep.down_until <= self._now()

    def _usable(self, ep: Endpoint) -> bool:
        if not ep.chain_ok:
            return False
        if ep.down_until is None:
            return True
        return self._half_open(ep) and not ep.trial_inflight

    def ranked(self, exclude: set[str] | None = None) -> list[Endpoint]:
        """Usable endpoints, best first: highest score (ties within one point: configured order),
        then half-open endpoints waiting for their recovery trial."""
        excluded = exclude or set()
        candidates = [ep for ep in self.endpoints if self._usable(ep) and ep.label not in excluded]
        for ep in candidates:
            self._rescore(ep)
        live = [ep for ep in candidates if ep.down_until is None]
        trials = sorted((ep for ep in candidates if ep.down_until is not None), key=lambda ep: ep.order)
        ordered: list[Endpoint] = []
        while live:
            top = max(ep.score for ep in live)
            pick = min((ep for ep in live if ep.score >= top - SCORE_TIE), key=lambda ep: ep.order)
            ordered.append(pick)
            live.remove(pick)
        return ordered + trials

    def best(self) -> Endpoint | None:
        """The endpoint requests go to now (None when every endpoint is down)."""
        live = [ep for ep in self.ranked() if ep.down_until is None]
        return live[0] if live else None

    def _record(self, ep: Endpoint, ok: bool, latency_ms: float) -> None:
        now = time.monotonic()
        ep.samples.append(Sample(now, ok, latency_ms, *ep.load))
        while ep.samples and ep.samples[0].at < now - STATS_WINDOW:
            ep.samples.popleft()

    def _success(self, ep: Endpoint, latency_ms: float) -> None:
        ep.outcomes.append(True)
        ep.latency_ms = (
            latency_ms if not ep.latency_ms else (1 - EWMA_ALPHA) * ep.latency_ms + EWMA_ALPHA * latency_ms
        )
        self._record(ep, True, latency_ms)
        recovered = ep.down_until is not None
        ep.consecutive_failures = 0
        ep.down_until = None
        ep.cooldown = COOLDOWN_START
        self._rescore(ep)
        if recovered:
            log.info("rpc_endpoint_recovered", endpoint=ep.label)
        self._update_all_down()

    def _failure(self, ep: Endpoint, kind: str, detail: str) -> None:
        ep.outcomes.append(False)
        ep.consecutive_failures += 1
        ep.last_error = f"{kind}: {detail}"[:300]
        self._record(ep, False, 0.0)
        metrics.rpc_errors.labels(endpoint=ep.label, kind=kind).inc()
        now = self._now()
        if ep.down_until is not None and ep.down_until <= now:
            # the recovery trial after a cooldown failed: down again, twice as long
            ep.cooldown = min(ep.cooldown * 2, COOLDOWN_MAX)
            ep.down_until = now + ep.cooldown
            log.warning("rpc_endpoint_still_down", endpoint=ep.label, cooldown_s=ep.cooldown, error=detail)
        elif ep.consecutive_failures >= FAILURES_TO_DOWN and ep.down_until is None:
            ep.down_until = now + ep.cooldown
            log.warning("rpc_endpoint_down", endpoint=ep.label, cooldown_s=ep.cooldown, error=detail)
        self._rescore(ep)
        self._update_all_down()

    def _update_all_down(self) -> None:
        down = self.all_down
        if down and self.all_down_since is None:
            self.all_down_since = self._now()
            log.error("rpc_all_endpoints_down", endpoints=[ep.label for ep in self.endpoints])
            self._fire(self.on_all_down)
        elif not down and self.all_down_since is not None:
            self.all_down_since = None
            log.info("rpc_endpoints_recovered")
            self._fire(self.on_recovered)

    def _fire(self, callback: Callable[[], Any] | None) -> None:
        if callback is None:
            return
        try:
            result = callback()
        except Exception:
            log.exception("rpc_callback_failed")
            return
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ requests
    async def _request(self, ep: Endpoint, method: str, params: list[Any]) -> Any:
        """One JSON-RPC request to ``ep`` with accounting (metrics, score, failures)."""
        try:
            waited = await ep.limiter.acquire()
        except RpcOverloaded:
            metrics.rpc_requests.labels(endpoint=ep.label, method=method, outcome="overloaded").inc()
            metrics.rpc_errors.labels(endpoint=ep.label, kind="overloaded").inc()
            raise
        if waited > 0.001:
            metrics.rpc_throttled_wait.labels(endpoint=ep.label).inc(waited)
        ep.load = (ep.limiter.waiting, ep.limiter.inflight)
        started = time.perf_counter()
        outcome = "error"
        failure: _EndpointFailure | None = None
        try:
            result = await self._exchange(ep, method, params)
            outcome = "ok"
            return result
        except _EndpointFailure as exc:
            failure = exc
            raise
        except RpcRangeTooLarge:
            outcome = "range"
            raise
        except RpcCallError:
            outcome = "call_error"
            raise
        except BaseException:
            outcome = "aborted"
            raise
        finally:
            elapsed = time.perf_counter() - started
            ep.limiter.release()
            metrics.rpc_requests.labels(endpoint=ep.label, method=method, outcome=outcome).inc()
            metrics.rpc_duration.labels(endpoint=ep.label, method=method).observe(elapsed)
            if outcome in ("ok", "call_error", "range"):
                self._success(ep, elapsed * 1000)
            elif failure is not None:
                self._failure(ep, failure.kind, str(failure))

    async def _exchange(self, ep: Endpoint, method: str, params: list[Any]) -> Any:
        http = await self._http()
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            async with http.post(ep.url, json=body) as resp:
                status = resp.status
                raw = await resp.read()
        except TimeoutError as exc:
            raise _EndpointFailure("timeout", f"no answer within {self.timeout:g} s") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise _EndpointFailure("connection", redact(f"{type(exc).__name__}: {exc}")[:300]) from exc
        if status == 429:
            raise _EndpointFailure("http_429", "rate limited by the endpoint (HTTP 429)")
        if status >= 500:
            raise _EndpointFailure("http_5xx", f"HTTP {status}")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than the interpreter reads
            kind = "http_4xx" if status >= 400 else "bad_response"
            raise _EndpointFailure(kind, f"HTTP {status}, not JSON") from exc
        if not isinstance(data, dict):
            raise _EndpointFailure("bad_response", "not a JSON-RPC object")
        err = data.get("error")
        if err:
            message = str(err.get("message", "")) if isinstance(err, dict) else str(err)
            code = err.get("code") if isinstance(err, dict) else None
            kind = classify_error(method, code, message)
            if kind == "range":
                raise RpcRangeTooLarge(message)
            if kind == "endpoint":
                raise _EndpointFailure("rpc_error", redact(f"{code}: {message}")[:300])
            raise RpcCallError(code, message, err.get("data") if isinstance(err, dict) else None)
        if status >= 400:
            raise _EndpointFailure("http_4xx", f"HTTP {status}")
        if "result" not in data:
            raise _EndpointFailure("bad_response", "no result")
        return data["result"]

    async def _trial(self, ep: Endpoint) -> bool:
        """The one request deciding whether a half-open endpoint recovers (chain id check)."""
        ep.trial_inflight = True
        try:
            return await self._check_chain(ep)
        finally:
            ep.trial_inflight = False

    async def call(self, method: str, params: list[Any] | None = None, *, retry: bool = True) -> Any:
        """Call ``method`` on the best endpoint; idempotent reads fail over to the next best endpoint
        (3 attempts in all, backoff 0.5 s then 1 s). JSON-RPC errors about the request itself
        (:class:`RpcCallError`, :class:`RpcRangeTooLarge`) are raised at once."""
        params = params or []
        attempts = READ_ATTEMPTS if retry else 1
        tried: set[str] = set()
        last: str = "no usable endpoint"
        for attempt in range(attempts):
            if attempt:
                delay = self.retry_backoff[min(attempt - 1, len(self.retry_backoff) - 1)]
                if delay > 0:
                    await asyncio.sleep(delay)
            ranked = self.ranked(exclude=tried) or self.ranked()
            if not ranked:
                break
            ep = ranked[0]
            tried.add(ep.label)
            if ep.down_until is not None and not await self._trial(ep):
                last = f"{ep.label}: {ep.last_error or 'recovery trial failed'}"
                continue
            try:
                result = await self._request(ep, method, params)
            except _EndpointFailure as exc:
                last = f"{ep.label}: {exc.kind}: {exc}"
                continue
            if method == "eth_blockNumber":
                self._observe_head(ep, result)
            return result
        raise RpcUnavailable(f"{method}: no endpoint answered ({last})")

    def _observe_head(self, ep: Endpoint, result: Any) -> None:
        with contextlib.suppress(TypeError, ValueError):
            ep.head = int(str(result), 16)
            ep.head_at = self._now()
            best = self._best_head()
            if best is not None:
                metrics.chain_head.set(best)

    async def send_raw(self, raw_hex: str) -> str:
        """Broadcast signed bytes; on failure the identical bytes go to the next endpoint (safe).

        A node that already has the transaction ("already known") counts as accepted: the hash is
        the keccak of the signed bytes either way.
        """
        try:
            return str(await self.call("eth_sendRawTransaction", [raw_hex], retry=True))
        except RpcCallError as exc:
            if any(m in exc.message.lower() for m in _ALREADY_KNOWN):
                return transaction_hash(raw_hex)
            raise

    async def probe_all(self) -> None:
        """Health probe (every 30 s): eth_blockNumber on every endpoint; down endpoints whose cooldown
        has passed get their recovery trial (chain id check) first; wrong-chain endpoints are
        checked again."""

        async def probe(ep: Endpoint) -> None:
            if not ep.chain_ok and not await self._check_chain(ep):
                return
            if ep.down_until is not None and (not self._usable(ep) or not await self._trial(ep)):
                return
            with contextlib.suppress(_EndpointFailure, RpcError):
                self._observe_head(ep, await self._request(ep, "eth_blockNumber", []))

        await asyncio.gather(*(probe(ep) for ep in self.endpoints))
        for ep in self.endpoints:
            self._rescore(ep)

    def status(self) -> list[EndpointStatus]:
        best = self._best_head()
        now = self._now()
        out = []
        for ep in self.endpoints:
            self._rescore(ep)
            cooldown_left = max(0.0, ep.down_until - now) if ep.down_until is not None else 0.0
            out.append(
                EndpointStatus(
                    ep.label,
                    str(ep.state),
                    round(ep.score, 1),
                    round(ep.latency_ms, 1),
                    ep.head,
                    self._lag(ep, best),
                    round(ep.success_ratio, 3),
                    ep.limiter.inflight,
                    ep.limiter.waiting,
                    consecutive_failures=ep.consecutive_failures,
                    cooldown_left_s=round(cooldown_left, 1),
                    chain_ok=ep.chain_ok,
                    head_age_s=round(now - ep.head_at, 1) if ep.head_at is not None else None,
                    last_error=ep.last_error,
                )
            )
        return out

    def window_stats(self) -> list[WindowStats]:
        """Per endpoint over the last 5 minutes: requests, success rate, median latency, peak queue and
        mean utilisation (in-flight / max concurrent) — inputs of the §4.2.6 alerts."""
        cutoff = time.monotonic() - STATS_WINDOW
        out = []
        for ep in self.endpoints:
            samples = [s for s in ep.samples if s.at >= cutoff]
            ok = [s for s in samples if s.ok]
            out.append(
                WindowStats(
                    ep.label,
                    len(samples),
                    len(ok) / len(samples) if samples else 1.0,
                    _median([s.latency_ms for s in ok]),
                    max((s.queued for s in samples), default=ep.limiter.waiting),
                    (sum(s.inflight for s in samples) / len(samples) if samples else ep.limiter.inflight)
                    / ep.limiter.max_concurrent,
                )
            )
        return out

    @property
    def all_down(self) -> bool:
        """Every endpoint is down (in cooldown, waiting for its recovery trial, or on another chain)."""
        return all(ep.is_down for ep in self.endpoints)

    def head(self) -> int | None:
        """The highest block number reported by a working endpoint (from probes and calls)."""
        return self._best_head()

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

    # ------------------------------------------------------------------ one endpoint
    async def call_on(self, label: str, method: str, params: list[Any] | None = None) -> Any:
        """Call ``method`` on the endpoint ``label`` only (no failover): reads that must agree with
        each other come from one node. Endpoint trouble raises :class:`RpcUnavailable`."""
        ep = next((e for e in self.endpoints if e.label == label), None)
        if ep is None or not ep.chain_ok:
            raise RpcUnavailable(f"{method}: endpoint {label} is not usable")
        if ep.down_until is not None and not (
            self._half_open(ep) and not ep.trial_inflight and await self._trial(ep)
        ):
            raise RpcUnavailable(f"{method}: endpoint {label} is down")
        try:
            result = await self._request(ep, method, params or [])
        except _EndpointFailure as exc:
            raise RpcUnavailable(f"{method}: {label}: {exc.kind}: {exc}") from exc
        if method == "eth_blockNumber":
            self._observe_head(ep, result)
        return result

    def pin(self, exclude: set[str] | None = None) -> Pinned:
        """The best endpoint now (not in ``exclude``), for one scan step (SPEC §4.3.3: head, hashes
        and logs of one step never mix endpoints); a half-open endpoint gets its recovery trial on
        its first call. With none usable, the first configured (its calls fail as unavailable)."""
        ranked = self.ranked(exclude=exclude) or self.ranked()
        return Pinned(self, (ranked[0] if ranked else self.endpoints[0]).label)

    def has_other(self, tried: set[str]) -> bool:
        """A usable endpoint not in ``tried`` remains."""
        return bool(self.ranked(exclude=tried))

    async def mined_everywhere(self, tx_hashes: Sequence[str]) -> MinedView:
        """Ask every endpoint of the chain about each of ``tx_hashes`` (its receipt; without one,
        whether the node has the transaction in a block). One node answering ``null`` proves nothing,
        and neither does the set of nodes that happen to be up: an endpoint that is down, cooling down
        or answering something malformed leaves the view unanswered, and the caller waits
        (docs/decisions.md, "Chain")."""
        statuses: set[int | None] = set()
        answered = bool(tx_hashes)
        voters = 0
        labels = [ep.label for ep in self.endpoints if ep.chain_ok]

        async def ask(label: str) -> None:
            nonlocal answered, voters
            for tx_hash in tx_hashes:
                try:
                    receipt = await self.call_on(label, "eth_getTransactionReceipt", [tx_hash])
                    if receipt is not None and not isinstance(receipt, dict):
                        raise RpcUnavailable(f"{label}: malformed receipt")
                    if receipt is not None and receipt.get("blockNumber"):
                        statuses.add(receipt_status(receipt))
                        continue
                    found = await self.call_on(label, "eth_getTransactionByHash", [tx_hash])
                    if found is not None and not isinstance(found, dict):
                        raise RpcUnavailable(f"{label}: malformed transaction")
                except (RpcError, ValueError):
                    answered = False
                    return
                if isinstance(found, dict) and found.get("blockNumber"):
                    statuses.add(None)
            voters += 1

        await asyncio.gather(*(ask(label) for label in labels))
        return MinedView(answered=answered and bool(labels), statuses=frozenset(statuses), voters=voters)

    async def agreed_head(self) -> int:
        """The lowest head among the usable endpoints that answer now (each is asked): the depth a
        payout decision counts — settled, reverted, a manual transfer accepted — is never measured from
        one node's head, so a node ahead of the others (lying, or on a fork) cannot make a transaction
        look deeper than the chain every answering node has. A lagging node only delays; a dead one left
        in ``BSC_RPC_URLS`` holds decisions back until the undecided-payout alert. None answering:
        :class:`RpcUnavailable`."""
        heads = await self._each("eth_blockNumber", [], _quantity)
        if not heads:
            raise RpcUnavailable("eth_blockNumber: no endpoint answered")
        return min(heads.values())

    async def transaction_counts(self, address: str, tag: str = "pending") -> dict[str, int]:
        """The wallet's transaction count as every usable endpoint that answers sees it."""
        return await self._each("eth_getTransactionCount", [address, tag], _quantity)

    async def agreed_transaction_count(self, address: str) -> int:
        """The lowest pending transaction count of the answering endpoints: the payout sender's nonce
        guard (``chain.nonces``) halts a wallet only on a count every answering endpoint exceeds the
        books with — one node answering too high cannot stop payouts. None answering: RpcUnavailable."""
        counts = await self.transaction_counts(address)
        if not counts:
            raise RpcUnavailable("eth_getTransactionCount: no endpoint answered")
        return min(counts.values())

    async def success_view(self, tx_hash: str, block: int, block_hash: str) -> MinedView:
        """What the endpoints say of a transfer one receipt showed as a success in ``block``: nothing
        (an unanswered view) unless that block is canonical everywhere, else ``mined_everywhere``. A
        payout settles (the tracker, Resolve-as-paid) only on ``all_succeeded``."""
        if not await self.canonical(block, block_hash):
            return MinedView(answered=False, statuses=frozenset())
        return await self.mined_everywhere([tx_hash])

    async def canonical(self, number: int, block_hash: str) -> bool:
        """Block ``number`` has hash ``block_hash`` on every endpoint that has that height, and on at
        least one: a receipt from a node on a fork is never taken as the chain's."""
        seen = [h for h in (await self.block_hashes(number)).values() if h is not None]
        return bool(seen) and all(h == block_hash.lower() for h in seen)

    async def block_hashes(self, number: int) -> dict[str, str | None]:
        """The hash of block ``number`` as every usable endpoint sees it (None: it has no such block).
        Endpoints that fail to answer are left out."""
        return await self._each(
            "eth_getBlockByNumber",
            [hex(number), False],
            lambda block: str(block["hash"]).lower() if block else None,
        )

    async def _each(self, method: str, params: list[Any], read: Callable[[Any], T]) -> dict[str, T]:
        """``method`` on every usable endpoint at once; ``read`` of each answer by endpoint. An endpoint
        that fails, or whose answer ``read`` cannot take, is left out."""
        answers: dict[str, T] = {}

        async def ask(label: str) -> None:
            try:
                answers[label] = read(await self.call_on(label, method, params))
            except (RpcError, ValueError, KeyError, TypeError):
                return

        await asyncio.gather(*(ask(ep.label) for ep in self.endpoints if self._usable(ep) and not ep.is_down))
        return answers


@dataclass(frozen=True)
class MinedView:
    """What the chain's endpoints know of some transactions: whether every one answered for each
    transaction, how many did, and the receipt statuses seen (None: a node knows the transaction as
    mined but serves no receipt or no status)."""

    answered: bool
    statuses: frozenset[int | None]
    voters: int = 0

    @property
    def all_succeeded(self) -> bool:
        """At least one endpoint answered, and every answer that knows one of them knows a success."""
        return self.voters > 0 and self.statuses == {1}

    @property
    def none_mined(self) -> bool:
        """Proof that no node knows any of them as mined: every endpoint of the chain answered."""
        return self.answered and not self.statuses

    @property
    def none_paid(self) -> bool:
        """Proof that none of them succeeded: every endpoint of the chain answered, and any mined one
        reverted (status 0) on every node that knows it."""
        return self.answered and self.statuses <= {0}


@dataclass(frozen=True)
class Pinned:
    """Reads of one scan step, all from the endpoint ``label``."""

    provider: ProviderManager
    label: str

    async def block_number(self) -> int:
        return int(await self.provider.call_on(self.label, "eth_blockNumber"), 16)

    async def get_block(self, block: int | str) -> dict[str, Any] | None:
        tag = hex(block) if isinstance(block, int) else block
        result = await self.provider.call_on(self.label, "eth_getBlockByNumber", [tag, False])
        return dict(result) if result else None

    async def block_hash(self, number: int) -> str | None:
        if number < 0:
            return None
        block = await self.get_block(number)
        return str(block["hash"]).lower() if block else None

    async def get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        return list(await self.provider.call_on(self.label, "eth_getLogs", [flt]))


def _median(values: list[float]) -> float:
    """The median (0.0 for none). Not ``statistics``: that module costs every process 0.2 MB of RSS
    for this one call (docs/performance.md, "Idle RSS")."""
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
