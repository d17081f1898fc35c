"""The RPC provider manager (SPEC §4.2) against anvil, behind switchable JSON-RPC proxies: failover,
down/cooldown/recovery, scores and head lag, error classes, retries, rate limits, the bounded queue
and the per-endpoint metrics."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade import metrics
from sigmatrade.chain import provider
from sigmatrade.chain.provider import (
    COOLDOWN_MAX,
    QUEUE_LIMIT,
    Limiter,
    ProviderManager,
    RpcCallError,
    RpcOverloaded,
    RpcRangeTooLarge,
    RpcUnavailable,
    State,
    classify_error,
    parse_endpoints,
    transaction_hash,
)
from sigmatrade.chain.token import TRANSFER_TOPIC, decode_uint, encode_decimals, encode_transfer
from sigmatrade.sandbox.chain import LocalChain, free_port
from tests.chain.rpc_proxy import RpcProxy

pytestmark = pytest.mark.chain


class FakeClock:
    """Monotonic seconds that only move when the test says so (cooldowns, head age)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@asynccontextmanager
async def proxies(chain: LocalChain, count: int = 2) -> AsyncIterator[list[RpcProxy]]:
    started = [await RpcProxy(chain.url).start() for _ in range(count)]
    try:
        yield started
    finally:
        for proxy in started:
            await proxy.stop()


@asynccontextmanager
async def manager(urls: list[str], **kwargs: object) -> AsyncIterator[ProviderManager]:
    kwargs.setdefault("chain_id", 56)
    kwargs.setdefault("retry_backoff", (0, 0))
    pm = ProviderManager(urls, **kwargs)  # type: ignore[arg-type]
    try:
        yield pm
    finally:
        await pm.close()


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class Counters:
    """Counter values relative to a starting point (labels could repeat if a port is reused)."""

    def __init__(self) -> None:
        self._start = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in metrics.REGISTRY.collect()
            for s in family.samples
        }

    def __call__(self, name: str, **labels: str) -> float:
        return sample(name, **labels) - self._start.get((name, tuple(sorted(labels.items()))), 0.0)


def label(proxy: RpcProxy) -> str:
    return f"127.0.0.1:{proxy.port}"


def by_label(pm: ProviderManager) -> Iterator[tuple[str, object]]:
    return ((s.label, s) for s in pm.status())


# ---------------------------------------------------------------------------- parsing, classification


def test_endpoint_labels_never_show_paths_or_keys() -> None:
    parsed = parse_endpoints(
        [
            "https://bsc.example.org/v1/SECRETKEY",
            "ankr=https://rpc.ankr.com/bsc/KEY?apikey=1",
            "https://bsc.example.org/other",
            "https://node.example.net:8545/?key=abc",
        ]
    )
    assert [lbl for lbl, _ in parsed] == [
        "bsc.example.org",
        "ankr",
        "bsc.example.org#2",
        "node.example.net:8545",
    ]
    assert parsed[1][1] == "https://rpc.ankr.com/bsc/KEY?apikey=1"
    with pytest.raises(ValueError, match="not an http"):
        parse_endpoints(["ftp://x"])
    with pytest.raises(ValueError):
        ProviderManager([], chain_id=56)


@pytest.mark.parametrize(
    ("method", "code", "message", "kind"),
    [
        ("eth_getLogs", -32005, "query returned more than 10000 results", "range"),
        ("eth_getLogs", -32000, "block range too large", "range"),
        ("eth_getLogs", -32000, "exceed maximum block range: 5000", "range"),
        ("eth_getLogs", -32602, "Log response size exceeded.", "range"),
        ("eth_getLogs", -32005, "limit exceeded", "endpoint"),  # rate-limit wording wins
        ("eth_getLogs", -32005, "too much data", "range"),
        ("eth_getLogs", -32000, "rate limit reached, retry later", "endpoint"),
        ("eth_blockNumber", -32005, "limit exceeded", "endpoint"),
        ("eth_call", 3, "execution reverted: balance", "call"),
        ("eth_call", -32603, "execution reverted", "call"),
        ("eth_call", -32000, "header not found", "endpoint"),
        ("eth_chainId", -32603, "Internal error", "endpoint"),
        ("eth_sendRawTransaction", -32000, "nonce too low", "call"),
        ("eth_sendRawTransaction", -32000, "already known", "call"),
        ("eth_estimateGas", -32000, "insufficient funds for gas * price + value", "call"),
    ],
)
def test_error_classification(method: str, code: int, message: str, kind: str) -> None:
    assert classify_error(method, code, message) == kind


# ---------------------------------------------------------------------------- failover


async def test_reads_go_to_the_first_endpoint_when_healthy(chain: LocalChain) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        await pm.start()
        head = await chain.block_number()
        for _ in range(5):
            assert await pm.block_number() == head
        assert a.count("eth_blockNumber") == 5 and b.count("eth_blockNumber") == 0
        assert [s.state for s in pm.status()] == ["healthy", "healthy"]
        assert pm.best() is pm.endpoints[0]


async def test_failover_from_a_dead_port(chain: LocalChain) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with proxies(chain, 1) as (b,), manager([dead, b.url]) as pm:
        assert await pm.block_number() == await chain.block_number()
        assert b.count("eth_blockNumber") == 1
        first, second = pm.status()
        assert first.consecutive_failures == 1 and first.success_ratio == 0
        assert first.last_error is not None and first.last_error.startswith("connection")
        assert second.success_ratio == 1 and second.score > first.score
        # the failed endpoint now ranks last: the next reads go straight to the second
        await pm.block_number()
        assert b.count("eth_blockNumber") == 2 and pm.endpoints[0].consecutive_failures == 1
        assert sample("sigmatrade_rpc_errors_total", endpoint=first.label, kind="connection") >= 1


@pytest.mark.parametrize("mode", ["http_500", "hang", "refuse", "garbage", "nested"])
async def test_failover_when_the_first_endpoint_misbehaves(chain: LocalChain, mode: str) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url], timeout=0.5) as pm:
        if mode == "refuse":
            await a.refuse()
        else:
            a.set_mode(mode)
        before = sample("sigmatrade_rpc_errors_total", endpoint=label(a), kind=_KIND[mode])
        balance = await pm.get_balance(chain.accounts[0].address)
        assert balance == await chain.native_balance(chain.accounts[0].address)
        assert b.count("eth_getBalance") == 1
        if mode != "refuse":
            assert a.count("eth_getBalance") == 1
        assert sample("sigmatrade_rpc_errors_total", endpoint=label(a), kind=_KIND[mode]) == before + 1
        assert pm.endpoints[0].consecutive_failures == 1 and pm.endpoints[1].consecutive_failures == 0


_KIND = {
    "http_500": "http_5xx",
    "hang": "timeout",
    "refuse": "connection",
    "garbage": "bad_response",
    "nested": "bad_response",
}


async def test_http_429_and_rate_limit_errors_are_endpoint_failures(chain: LocalChain) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        a.http_status = 429
        a.set_mode("http_500")
        await pm.gas_price()
        assert sample("sigmatrade_rpc_errors_total", endpoint=label(a), kind="http_429") >= 1
        a.set_mode("forward")
        a.fail_method("eth_gasPrice", -32005, "limit exceeded")
        pm.endpoints[0].outcomes.clear()  # make the first endpoint the best again
        assert await pm.gas_price() == 1_000_000_000
        assert a.count("eth_gasPrice") == 2 and b.count("eth_gasPrice") == 2
        assert pm.endpoints[0].consecutive_failures == 2


# ---------------------------------------------------------------------------- down, cooldown, recovery


async def test_five_failures_down_cooldown_doubling_and_recovery(chain: LocalChain, clock: FakeClock) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url], clock=clock) as pm:
        await pm.start()
        a.set_mode("http_500")
        for i in range(4):
            await pm.probe_all()
            assert pm.endpoints[0].state != State.DOWN, i
        await pm.probe_all()  # 5th consecutive failure
        ep = pm.endpoints[0]
        assert ep.state == State.DOWN and ep.down_until == clock.now + 30
        assert sample("sigmatrade_rpc_endpoint_up", endpoint=ep.label) == 0
        assert not pm.all_down
        # in cooldown: neither probes nor calls touch it
        calls = a.count()
        clock.advance(29)
        await pm.probe_all()
        await pm.block_number()
        assert a.count() == calls and pm.status()[0].cooldown_left_s == 1
        # cooldown over: one trial (chain id) decides; it fails -> down again for 60 s, then 120, 240, 300, 300
        expected = [60, 120, 240, 300, 300]
        for cooldown in expected:
            clock.advance(ep.down_until - clock.now)  # type: ignore[operator]
            await pm.probe_all()
            assert a.count() == calls + 1, cooldown
            calls = a.count()
            assert ep.state == State.DOWN and ep.cooldown == cooldown == min(cooldown, COOLDOWN_MAX)
            assert ep.down_until == clock.now + cooldown
        # the endpoint works again: after the cooldown the trial checks the chain id, then it is back
        a.set_mode("forward")
        clock.advance(300)
        chain_checks = a.count("eth_chainId")
        await pm.probe_all()
        assert a.count("eth_chainId") == chain_checks + 1 and a.count("eth_blockNumber") >= 1
        assert ep.state != State.DOWN and ep.down_until is None and ep.cooldown == 30
        assert ep.consecutive_failures == 0
        assert sample("sigmatrade_rpc_endpoint_up", endpoint=ep.label) == 1
        # the success ratio still remembers the failures: degraded until it has answered enough
        assert ep.state == State.DEGRADED
        for _ in range(60):
            await pm.probe_all()
        assert ep.state == State.HEALTHY


async def test_a_call_runs_the_recovery_trial_when_the_cooldown_passed(
    chain: LocalChain, clock: FakeClock
) -> None:
    async with proxies(chain, 1) as (a,), manager([a.url], clock=clock) as pm:
        a.set_mode("http_500")
        for _ in range(5):
            await pm.probe_all()
        assert pm.all_down
        with pytest.raises(RpcUnavailable):
            await pm.block_number()  # in cooldown: nobody to ask
        a.set_mode("forward")
        clock.advance(30)
        assert await pm.block_number() == await chain.block_number()
        assert not pm.all_down and pm.endpoints[0].down_until is None


async def test_all_down_and_recovered_callbacks_fire_once(chain: LocalChain, clock: FakeClock) -> None:
    events: list[str] = []
    async with proxies(chain) as (a, b), manager([a.url, b.url], clock=clock) as pm:
        pm.on_all_down = lambda: events.append("down")

        async def recovered() -> None:
            events.append("recovered")

        pm.on_recovered = recovered
        await pm.start()
        a.set_mode("http_500")
        b.set_mode("http_500")
        for _ in range(8):
            await pm.probe_all()
        assert pm.all_down and events == ["down"]
        with pytest.raises(RpcUnavailable, match="no endpoint answered"):
            await pm.get_block("latest")
        b.set_mode("forward")
        clock.advance(30)
        await pm.probe_all()
        await asyncio.sleep(0)
        assert not pm.all_down and events == ["down", "recovered"]
        assert pm.status()[0].state == "down"


async def test_wrong_chain_endpoints_are_excluded(chain: LocalChain) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        a.chain_id = 97
        await pm.start()
        first = pm.status()[0]
        assert first.state == "down" and not first.chain_ok
        await pm.block_number()
        assert a.count("eth_blockNumber") == 0 and b.count("eth_blockNumber") == 1
        assert sample("sigmatrade_rpc_errors_total", endpoint=label(a), kind="wrong_chain") >= 1
        # the probe checks it again; fixed -> back in rotation
        a.chain_id = None
        await pm.probe_all()
        assert pm.status()[0].chain_ok and pm.status()[0].state == "healthy"
        # every endpoint on another chain: all down from the start
        a.chain_id = b.chain_id = 1
        events: list[str] = []
        async with manager([a.url, b.url]) as other:
            other.on_all_down = lambda: events.append("down")
            await other.start()
            assert other.all_down and events == ["down"]
            with pytest.raises(RpcUnavailable):
                await other.block_number()


# ---------------------------------------------------------------------------- scores and head lag


async def test_head_lag_degrades_and_scores_follow_the_formula(chain: LocalChain) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        await chain.mine(30)
        a.head_lag = 25
        await pm.probe_all()
        first, second = pm.status()
        assert first.head_lag == 25 and second.head_lag == 0
        assert first.state == "degraded" and first.score == 0  # 100 - latency/50 - 5 x 25 < 0
        assert second.state == "healthy" and second.head == await chain.block_number()
        assert pm.head() == second.head
        await pm.block_number()
        assert b.count("eth_blockNumber") == 2  # probe + the read: the lagging endpoint is skipped
        assert sample("sigmatrade_rpc_endpoint_score", endpoint=label(a)) == 0
        # a small lag only costs points: 3 blocks -> about 85 -> healthy but ranked second
        a.head_lag = 3
        await pm.probe_all()
        first = pm.status()[0]
        assert first.head_lag == 3 and 80 < first.score <= 85 and first.state == "healthy"
        assert pm.best() is pm.endpoints[1]


async def test_latency_lowers_the_score(chain: LocalChain) -> None:
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        a.delay = 0.25  # 250 ms -> about 5 points
        await pm.probe_all()
        first, second = pm.status()
        assert first.latency_ms >= 250 and 90 < first.score < 95.5
        assert second.score > 99
        assert pm.best() is pm.endpoints[1]
        a.delay = 0
        # within one point the configured order wins
        pm.endpoints[0].latency_ms = pm.endpoints[1].latency_ms + 20
        assert pm.best() is pm.endpoints[0]


# ---------------------------------------------------------------------------- error classes and retries


async def test_get_logs_range_errors_are_not_failures(chain: LocalChain) -> None:
    counted = Counters()
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        flt = {
            "fromBlock": "0x0",
            "toBlock": "latest",
            "address": chain.token_address,
            "topics": [TRANSFER_TOPIC],
        }
        assert isinstance(await pm.get_logs(flt), list)
        for code, message in (
            (-32005, "query returned more than 10000 results"),
            (-32000, "block range too large"),
            (-32000, "exceed maximum block range: 5000"),
        ):
            a.fail_method("eth_getLogs", code, message)
            with pytest.raises(RpcRangeTooLarge, match=message.split()[0]):
                await pm.get_logs(flt)
        assert a.count("eth_getLogs") == 4 and b.count("eth_getLogs") == 0  # never retried elsewhere
        ep = pm.endpoints[0]
        assert ep.consecutive_failures == 0 and ep.success_ratio == 1 and ep.state == State.HEALTHY
        assert (
            counted("sigmatrade_rpc_requests_total", endpoint=ep.label, method="eth_getLogs", outcome="range")
            == 3
        )


async def test_reads_are_tried_three_times_at_most(chain: LocalChain) -> None:
    async with proxies(chain) as (a, b):
        a.set_mode("http_500")
        async with manager([a.url], retry_backoff=(0.1, 0.2)) as pm:
            started = time.monotonic()
            with pytest.raises(RpcUnavailable, match="http_5xx"):
                await pm.gas_price()
            assert a.count("eth_gasPrice") == 3
            assert time.monotonic() - started >= 0.3  # backoff 0.1 s then 0.2 s
        b.set_mode("http_500")
        a.requests.clear()
        async with manager([a.url, b.url]) as pm:
            with pytest.raises(RpcUnavailable):
                await pm.gas_price()
            assert (a.count("eth_gasPrice"), b.count("eth_gasPrice")) == (2, 1)  # a, b, then a again


async def test_call_errors_are_raised_once_and_do_not_count(chain: LocalChain) -> None:
    assert chain.token_address is not None
    counted = Counters()
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        # transfer from an account without tokens: execution reverted
        data = encode_transfer(chain.accounts[3].address, 10**18)
        with pytest.raises(RpcCallError, match="revert") as info:
            await pm.eth_call(chain.token_address, data)
        assert info.value.code is not None
        with pytest.raises(RpcCallError):
            await pm.estimate_gas(
                {"from": chain.accounts[4].address, "to": chain.token_address, "data": data}
            )
        assert a.count("eth_call") == 1 and a.count("eth_estimateGas") == 1 and b.count() == 0
        ep = pm.endpoints[0]
        assert ep.consecutive_failures == 0 and ep.success_ratio == 1
        assert (
            counted(
                "sigmatrade_rpc_requests_total", endpoint=ep.label, method="eth_call", outcome="call_error"
            )
            == 1
        )
        assert decode_uint(await pm.eth_call(chain.token_address, encode_decimals())) == 18


async def test_send_raw_retries_identical_bytes_on_the_next_endpoint(chain: LocalChain) -> None:
    assert chain.token_address is not None
    sender, receiver = chain.accounts[5], chain.accounts[6]
    await chain.fund(sender.address, usdt="3")
    async with proxies(chain) as (a, b), manager([a.url, b.url]) as pm:
        nonce = await pm.get_transaction_count(sender.address, "pending")
        tx = {
            "chainId": 56,
            "nonce": nonce,
            "gas": 100_000,
            "gasPrice": await pm.gas_price(),
            "to": to_checksum_address(chain.token_address),
            "value": 0,
            "data": bytes.fromhex(encode_transfer(receiver.address, chain.raw("1.5"))[2:]),
        }
        raw = "0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex()
        a.set_mode("http_500")
        tx_hash = await pm.send_raw(raw)
        assert tx_hash == transaction_hash(raw)
        assert a.count("eth_sendRawTransaction") == 1 and b.count("eth_sendRawTransaction") == 1
        receipt = None
        for _ in range(100):  # automine: the block follows the send, not always before it returns
            receipt = await pm.get_receipt(tx_hash)
            if receipt is not None:
                break
            await asyncio.sleep(0.05)
        assert receipt is not None and int(receipt["status"], 16) == 1
        assert await chain.balance_of(receiver.address) == chain.raw("1.5")
        # a node that already has the transaction: accepted, same hash
        b.fail_method("eth_sendRawTransaction", -32000, "already known")
        assert await pm.send_raw(raw) == tx_hash
        b.fail_method("eth_sendRawTransaction", -32000, "nonce too low")
        with pytest.raises(RpcCallError, match="nonce too low"):
            await pm.send_raw(raw)


async def test_typed_helpers(chain: LocalChain) -> None:
    async with proxies(chain, 1) as (a,), manager([a.url]) as pm:
        head = await pm.block_number()
        block = await pm.get_block(head)
        assert block is not None and int(block["number"], 16) == head
        assert await pm.get_block(head + 1000) is None
        latest = await pm.get_block("latest", full=True)
        assert latest is not None and isinstance(latest["transactions"], list)
        assert await pm.get_receipt("0x" + "00" * 32) is None
        assert await pm.get_transaction_count(chain.accounts[9].address) == 0
        assert await pm.get_balance(chain.accounts[9].address) > 0


# ---------------------------------------------------------------------------- rate limits and the queue


async def test_custom_plan_token_bucket_makes_requests_wait(chain: LocalChain) -> None:
    async with proxies(chain, 1) as (a,), manager([a.url], limits=(2, 5, 2)) as pm:
        waited_before = sample("sigmatrade_rpc_throttled_wait_seconds_total", endpoint=label(a))
        started = time.monotonic()
        await asyncio.gather(*(pm.block_number() for _ in range(6)))
        elapsed = time.monotonic() - started
        # burst 2 at once, then 4 more at 5 per second
        assert 0.7 <= elapsed < 5.0, elapsed  # the lower bound is the rate limit; the upper one only sanity
        assert a.peak_inflight <= 2
        assert sample("sigmatrade_rpc_throttled_wait_seconds_total", endpoint=label(a)) - waited_before > 1.0


async def test_concurrency_cap(chain: LocalChain) -> None:
    async with proxies(chain, 1) as (a,), manager([a.url], limits=(3, 1000, 1000)) as pm:
        a.delay = 0.1
        await asyncio.gather(*(pm.gas_price() for _ in range(10)))
        assert a.peak_inflight == 3 and a.count("eth_gasPrice") == 10


async def test_limiter_waits_without_network() -> None:
    limiter = Limiter(1, 10, 1)
    assert await limiter.acquire() < 0.01
    limiter.release()
    waited = await limiter.acquire()  # the single token is gone: about 0.1 s
    limiter.release()
    assert 0.05 < waited < 2.0  # the bucket refills in 0.1 s; a loaded machine only adds
    with pytest.raises(ValueError):
        Limiter(0, 10, 1)


async def test_queue_is_bounded_at_500(chain: LocalChain) -> None:
    # a long request timeout: the hanging request must outlive a slow (loaded) machine
    async with proxies(chain, 1) as (a,), manager([a.url], limits=(1, 100_000, 100_000), timeout=60) as pm:
        ep = pm.endpoints[0]
        a.set_mode("hang")
        tasks = [asyncio.create_task(pm.gas_price()) for _ in range(QUEUE_LIMIT + 1)]
        for _ in range(200):
            if ep.limiter.waiting == QUEUE_LIMIT and ep.limiter.inflight == 1:
                break
            await asyncio.sleep(0.01)
        assert (ep.limiter.waiting, ep.limiter.inflight) == (QUEUE_LIMIT, 1)
        assert sample("sigmatrade_rpc_queue_size", endpoint=ep.label) == QUEUE_LIMIT
        assert sample("sigmatrade_rpc_inflight", endpoint=ep.label) == 1
        started = time.monotonic()
        with pytest.raises(RpcOverloaded):
            await pm.gas_price()
        assert time.monotonic() - started < 1.0  # immediate: not behind the 500 waiting (they hang)
        assert sample("sigmatrade_rpc_errors_total", endpoint=ep.label, kind="overloaded") >= 1
        a.set_mode("forward")
        results = await asyncio.gather(*tasks, return_exceptions=True)
        odd = [r for r in results if r != 1_000_000_000]
        assert not odd, odd[:3]
        assert sample("sigmatrade_rpc_queue_size", endpoint=ep.label) == 0
        assert sample("sigmatrade_rpc_inflight", endpoint=ep.label) == 0


# ---------------------------------------------------------------------------- metrics


async def test_metrics_per_endpoint_and_method(chain: LocalChain, clock: FakeClock) -> None:
    counted = Counters()
    async with proxies(chain) as (a, b), manager([a.url, b.url], clock=clock) as pm:
        await pm.start()
        for _ in range(3):
            await pm.block_number()
        await pm.gas_price()
        a.set_mode("http_500")
        for _ in range(5):
            await pm.probe_all()
        la, lb = label(a), label(b)
        assert (
            counted("sigmatrade_rpc_requests_total", endpoint=la, method="eth_blockNumber", outcome="ok") == 3
        )
        assert counted("sigmatrade_rpc_requests_total", endpoint=la, method="eth_gasPrice", outcome="ok") == 1
        assert counted("sigmatrade_rpc_requests_total", endpoint=la, method="eth_chainId", outcome="ok") == 1
        assert (
            counted("sigmatrade_rpc_requests_total", endpoint=la, method="eth_blockNumber", outcome="error")
            == 5
        )
        assert (
            counted("sigmatrade_rpc_requests_total", endpoint=lb, method="eth_blockNumber", outcome="ok") == 5
        )
        assert (
            counted("sigmatrade_rpc_request_duration_seconds_count", endpoint=la, method="eth_blockNumber")
            == 8
        )
        assert counted("sigmatrade_rpc_errors_total", endpoint=la, kind="http_5xx") == 5
        assert sample("sigmatrade_rpc_endpoint_up", endpoint=la) == 0
        assert sample("sigmatrade_rpc_endpoint_up", endpoint=lb) == 1
        assert sample("sigmatrade_rpc_endpoint_score", endpoint=la) < 50
        assert sample("sigmatrade_rpc_endpoint_score", endpoint=lb) > 90
        assert sample("sigmatrade_rpc_queue_size", endpoint=la) == 0
        assert sample("sigmatrade_rpc_inflight", endpoint=la) == 0
        assert sample("sigmatrade_chain_head_block") == await chain.block_number()
        text = metrics.render().decode()
        for name in (
            "sigmatrade_rpc_requests_total",
            "sigmatrade_rpc_errors_total",
            "sigmatrade_rpc_request_duration_seconds_bucket",
            "sigmatrade_rpc_endpoint_score",
            "sigmatrade_rpc_endpoint_up",
            "sigmatrade_rpc_queue_size",
            "sigmatrade_rpc_inflight",
        ):
            assert f'{name}{{endpoint="{la}"' in text, name
        stats = {s.label: s for s in pm.window_stats()}
        assert stats[la].requests == 10 and stats[la].success_rate == 0.5
        assert stats[lb].success_rate == 1 and stats[lb].utilisation > 0


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=30))
def test_the_window_median_is_the_statistics_median(values: list[float]) -> None:
    expected = statistics.median(values) if values else 0.0
    assert provider._median(values) == pytest.approx(expected)
