"""The chain runtime in the running application (SPEC §4.1, §4.2, §9.4; scenarios 25 and 26): provider
built from the settings, token decimals check, health probe and its alerts, ``/healthz`` and
``/metrics``, and ``sigmatrade chain status``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sigmatrade.chain.provider import RpcUnavailable, Sample, State
from sigmatrade.chain.runtime import ChainRuntime, TokenCheck, active_chain, start_chain, stop_chain
from sigmatrade.config import ConfigError
from sigmatrade.db.models import ChainCursor
from sigmatrade.db.session import Database
from sigmatrade.sandbox.chain import LocalChain, free_port
from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.emulator.client import user_client
from sigmatrade.sandbox.harness import Harness
from tests.chain.rpc_proxy import RpcProxy
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.chain
ADMIN = 9100


class FakeClock:
    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


@asynccontextmanager
async def proxies(chain: LocalChain, count: int = 2) -> AsyncIterator[list[RpcProxy]]:
    started = [await RpcProxy(chain.url).start() for _ in range(count)]
    try:
        yield started
    finally:
        for proxy in started:
            await proxy.stop()


class App:
    """The running application (bot on the emulator, HTTP server) with one super admin."""

    def __init__(self, harness: Harness, emulator: BotApiEmulator) -> None:
        self.h = harness
        self.emulator = emulator
        self.admin = user_client(emulator, ADMIN, "Admin", language_code="en")

    @property
    def chain(self) -> ChainRuntime:
        assert isinstance(self.h.rt.chain, ChainRuntime)
        return self.h.rt.chain

    def alerts(self, contains: str) -> list[str]:
        return [m.body for m in self.emulator.bot_messages(ADMIN) if contains in m.body]

    async def get(self, path: str) -> tuple[int, Any]:
        assert self.h.app is not None and self.h.app.http is not None
        url = f"http://127.0.0.1:{self.h.app.http.port}{path}"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            body = await resp.json() if path != "/metrics" else await resp.text()
            return resp.status, body


@asynccontextmanager
async def running_app(db_url: str, urls: list[str], **overrides: Any) -> AsyncIterator[App]:
    emulator = BotApiEmulator()
    await emulator.start()
    admin = user_client(emulator, ADMIN, "Admin", language_code="en")
    admin.user.started = True
    settings: dict[str, Any] = {
        "bsc_rpc_urls": ",".join(urls),
        "chain_id": 56,
        "super_admin_ids": str(ADMIN),
        "default_language": "en",
        "redis_url": REDIS_URL,
    }
    settings.update(overrides)
    h = Harness(db_url, http=True, emulator=emulator, **settings)
    try:
        await h.start()
        yield App(h, emulator)
    finally:
        await h.stop()
        await emulator.stop()
    rejected = emulator.rejected()
    assert not rejected, [(r.method, r.response) for r in rejected]


def label(proxy: RpcProxy) -> str:
    return f"127.0.0.1:{proxy.port}"


# ---------------------------------------------------------------------------- not configured


async def test_not_configured_disables_chain_features(db_url: str) -> None:
    async with running_app(db_url, []) as app:
        rt = app.h.rt
        assert rt.chain is None and active_chain(rt) is None
        status, body = await app.get("/healthz")
        assert status == 200
        assert body["checks"]["chain"] == {"status": "not_configured", "reason": "BSC_RPC_URLS is empty"}
        assert body["status"] in ("ok", "degraded")
        assert app.alerts("RPC") == []


# ---------------------------------------------------------------------------- scenario 25


async def test_scenario_25_failover_then_all_down_then_recovered(db_url: str, chain: LocalChain) -> None:
    assert chain.token_address is not None
    async with (
        proxies(chain) as (a, b),
        running_app(db_url, [a.url, b.url], usdt_contract_address=chain.token_address) as app,
    ):
        rt_chain = app.chain
        provider = rt_chain.provider
        clock = FakeClock()
        provider.clock = clock
        assert rt_chain.enabled and rt_chain.token_check == TokenCheck.OK and rt_chain.token_decimals == 18
        assert active_chain(app.h.rt) is rt_chain
        assert (rt_chain.confirmation_mode, rt_chain.confirmation_blocks) == ("blocks", 12)
        limiter = provider.endpoints[0].limiter  # CHAIN_RPC_PLAN=build (default)
        assert (limiter.max_concurrent, limiter.rps, limiter.burst) == (20, 100, 500)
        status, body = await app.get("/healthz")
        check = body["checks"]["chain"]
        assert status == 200 and check["status"] == "ok", check
        assert check["best_endpoint"] == label(a) and check["head"] == await chain.block_number()
        assert check["head_age_s"] is not None and check["enabled"] is True
        assert [e["label"] for e in check["endpoints"]] == [label(a), label(b)]
        assert {"state", "score", "latency_ms", "head", "head_lag"} <= set(check["endpoints"][0])

        # the first endpoint fails: reads (scan, payouts) continue on the second
        a.set_mode("http_500")
        head = await chain.block_number()
        for _ in range(3):
            assert await provider.block_number() == head
        assert b.count("eth_blockNumber") >= 3
        for _ in range(5):
            await rt_chain.probe_once()
        first, second = provider.status()
        assert first.state == "down" and second.state == "healthy"
        status, body = await app.get("/healthz")
        check = body["checks"]["chain"]
        assert check["status"] == "ok" and check["best_endpoint"] == label(b)
        assert check["endpoints"][0]["state"] == "down"
        _, text = await app.get("/metrics")
        assert f'sigmatrade_rpc_endpoint_up{{endpoint="{label(a)}"}} 0.0' in text
        assert f'sigmatrade_rpc_endpoint_up{{endpoint="{label(b)}"}} 1.0' in text
        assert f'sigmatrade_rpc_errors_total{{endpoint="{label(a)}",kind="http_5xx"}}' in text
        assert (
            f'sigmatrade_rpc_requests_total{{endpoint="{label(b)}",method="eth_blockNumber",outcome="ok"}}'
            in text
        )
        assert app.alerts("All RPC endpoints are down") == []

        # the second one fails too: all down -> /healthz degraded with chain down, one critical alert
        b.set_mode("http_500")
        for _ in range(5):
            await rt_chain.probe_once()
        assert provider.all_down
        status, body = await app.get("/healthz")
        assert status == 200 and body["status"] == "degraded"
        assert (
            body["checks"]["chain"]["status"] == "down" and body["checks"]["chain"]["best_endpoint"] is None
        )
        with pytest.raises(RpcUnavailable):
            await provider.block_number()
        for _ in range(3):
            clock.advance(30)
            await rt_chain.probe_once()
        alerts = app.alerts("All RPC endpoints are down")
        assert len(alerts) == 1 and label(a) in alerts[0] and label(b) in alerts[0]

        # an endpoint answers again: one "recovered" note
        b.set_mode("forward")
        clock.advance(300)
        await rt_chain.probe_once()
        assert not provider.all_down
        notes = app.alerts("payouts resume")
        assert len(notes) == 1 and label(b) in notes[0]
        await rt_chain.probe_once()
        assert len(app.alerts("payouts resume")) == 1
        status, body = await app.get("/healthz")
        assert body["checks"]["chain"]["status"] != "down" and body["checks"]["chain"][
            "best_endpoint"
        ] == label(b)


async def test_all_down_at_startup_alerts_once(db_url: str, chain: LocalChain) -> None:
    assert chain.token_address is not None
    dead = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    async with running_app(db_url, dead, usdt_contract_address=chain.token_address) as app:
        rt_chain = app.chain
        assert not rt_chain.enabled and rt_chain.token_check == TokenCheck.UNVERIFIED
        rt_chain.provider.retry_backoff = (0, 0)
        for _ in range(6):
            await rt_chain.probe_once()
        assert rt_chain.provider.all_down
        assert len(app.alerts("All RPC endpoints are down")) == 1
        assert len(app.alerts("Could not read")) == 1
        status, body = await app.get("/healthz")
        assert status == 200 and body["checks"]["chain"]["status"] == "down"


# ---------------------------------------------------------------------------- scenario 26


async def _deploy_other_token(chain: LocalChain, decimals: int) -> str:
    address, keep = chain.token_address, chain.token_decimals
    try:
        return await chain.deploy_token(decimals)
    finally:
        chain.token_address, chain.token_decimals = address, keep


async def test_scenario_26_decimals_mismatch_disables_watcher_and_sender(
    db_url: str, chain: LocalChain
) -> None:
    token6 = await _deploy_other_token(chain, 6)
    async with proxies(chain, 1) as (a,), running_app(db_url, [a.url], usdt_contract_address=token6) as app:
        rt_chain = app.chain
        assert rt_chain.enabled is False and active_chain(app.h.rt) is None
        assert rt_chain.token_check == TokenCheck.MISMATCH and rt_chain.token_decimals == 6
        assert rt_chain.decimals == 18 and rt_chain.disabled_reason == "decimals_mismatch"
        alerts = app.alerts("decimals")
        assert len(alerts) == 1 and token6 in alerts[0] and "6" in alerts[0] and "18" in alerts[0]
        assert "disabled" in alerts[0]
        status, body = await app.get("/healthz")
        check = body["checks"]["chain"]
        assert status == 200 and check["status"] == "degraded" and check["reason"] == "decimals_mismatch"
        assert check["enabled"] is False
        # final for this process: the probe does not re-check nor re-alert
        calls = a.count("eth_call")
        await rt_chain.probe_once()
        assert a.count("eth_call") == calls and len(app.alerts("decimals")) == 1
    # the same token with USDT_DECIMALS=6 is accepted
    async with (
        proxies(chain, 1) as (a,),
        running_app(db_url, [a.url], usdt_contract_address=token6, usdt_decimals=6) as app,
    ):
        assert app.chain.enabled and app.chain.token_check == TokenCheck.OK


async def test_unreadable_decimals_disable_until_a_probe_reads_them(db_url: str, chain: LocalChain) -> None:
    assert chain.token_address is not None
    async with proxies(chain, 1) as (a,):
        a.fail_method("eth_call", -32000, "header not found")  # an endpoint problem, not the token's
        async with running_app(db_url, [a.url], usdt_contract_address=chain.token_address) as app:
            rt_chain = app.chain
            assert not rt_chain.enabled and rt_chain.token_check == TokenCheck.UNVERIFIED
            assert rt_chain.decimals_error is not None and "header not found" in rt_chain.decimals_error
            assert len(app.alerts("Could not read")) == 1
            a.clear_errors()
            await rt_chain.probe_once()
            assert rt_chain.enabled and rt_chain.token_check == TokenCheck.OK
            assert len(app.alerts("are enabled")) == 1
            await rt_chain.probe_once()
            assert len(app.alerts("are enabled")) == 1


async def test_a_token_address_without_code_is_unverified(db_url: str, chain: LocalChain) -> None:
    async with proxies(chain, 1) as (a,):
        no_code = chain.accounts[8].address
        async with running_app(db_url, [a.url], usdt_contract_address=no_code) as app:
            assert not app.chain.enabled and app.chain.token_check == TokenCheck.UNVERIFIED
            assert app.chain.decimals_error == "empty eth_call result"
            assert len(app.alerts(no_code)) == 1


# ---------------------------------------------------------------------------- probe loop, thresholds, wiring


async def test_probe_loop_and_stop(db_url: str, chain: LocalChain) -> None:
    assert chain.token_address is not None
    async with (
        proxies(chain, 1) as (a,),
        running_app(db_url, [a.url], usdt_contract_address=chain.token_address) as app,
    ):
        rt = app.h.rt
        old = app.chain
        await stop_chain(rt)
        assert rt.chain is None
        assert old.provider._session is None
        started = await start_chain(rt, probe_interval=0.05)
        assert started is rt.chain and started is not None and started.enabled
        before = a.count("eth_blockNumber")
        await asyncio.sleep(0.4)
        assert a.count("eth_blockNumber") - before >= 3
        await stop_chain(rt)
        settled = a.count("eth_blockNumber")
        await asyncio.sleep(0.15)
        assert a.count("eth_blockNumber") == settled
        await start_chain(rt)


async def test_rpc_threshold_alerts(db_url: str, chain: LocalChain) -> None:
    assert chain.token_address is not None
    async with (
        proxies(chain, 1) as (a,),
        running_app(db_url, [a.url], usdt_contract_address=chain.token_address) as app,
    ):
        rt_chain = app.chain
        ep = rt_chain.provider.endpoints[0]
        now = time.monotonic()
        # 100 requests in the window, 90 % successful, median latency 2.5 s, 60 queued, 18 of 20 in flight
        ep.samples.clear()
        ep.samples.extend(Sample(now, i >= 10, 2500.0, 60, 18) for i in range(100))
        await rt_chain.check_thresholds()
        await rt_chain.check_thresholds()
        assert len(app.alerts("success rate")) == 1 and "90.0%" in app.alerts("success rate")[0]
        assert len(app.alerts("median latency 2500 ms")) == 1
        assert len(app.alerts("60 requests waiting")) == 1
        assert len(app.alerts("concurrent requests")) == 1
        ep.samples.clear()
        await rt_chain.check_thresholds()
        assert len([m for m in app.emulator.bot_messages(ADMIN) if "RPC endpoint" in m.body]) == 4


async def test_wrong_chain_endpoint_is_reported(db_url: str, chain: LocalChain) -> None:
    assert chain.token_address is not None
    async with proxies(chain) as (a, b):
        a.chain_id = 97
        async with running_app(
            db_url,
            [a.url, b.url],
            usdt_contract_address=chain.token_address,
            chain_rpc_plan="custom",
            chain_rpc_max_concurrent=3,
            chain_rpc_rps=7,
            chain_rpc_burst=9,
        ) as app:
            assert app.chain.enabled
            limiter = app.chain.provider.endpoints[1].limiter
            assert (limiter.max_concurrent, limiter.rps, limiter.burst) == (3, 7, 9)
            first = app.chain.provider.status()[0]
            assert first.state == State.DOWN and not first.chain_ok
            alerts = app.alerts("reports chain id")
            assert len(alerts) == 1 and "97" in alerts[0] and label(a) in alerts[0]


async def test_invalid_rpc_url_is_a_configuration_error(db_url: str) -> None:
    with pytest.raises(ConfigError, match="BSC_RPC_URLS"):
        async with running_app(db_url, ["ws://127.0.0.1:1"]):
            pass


# ---------------------------------------------------------------------------- CLI


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "DATABASE_", "TEST_", "BSC_", "USDT_"))
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "sigmatrade", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


async def test_chain_status_cli(db_url: str, chain: LocalChain, tmp_path: Path) -> None:
    assert chain.token_address is not None
    db = Database(db_url)
    async with db.transaction() as session:
        session.add(ChainCursor(name="usdt_deposits", last_block=3, last_block_hash="0xabc", chunk_size=500))
    await db.dispose()
    dead = f"http://127.0.0.1:{free_port()}"
    await chain.mine(20)
    async with proxies(chain, 1) as (a,):
        env = {
            "DATABASE_URL": db_url,
            "BSC_RPC_URLS": f"{a.url},backup={dead}",
            "USDT_CONTRACT_ADDRESS": chain.token_address,
        }
        result = await asyncio.to_thread(_cli, "chain", "status", env=env, cwd=tmp_path)
        head = await chain.block_number()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "cursor: usdt_deposits last_block 3, hash 0xabc, chunk size 500" in out
    assert f"head: {head} (cursor lag {head - 3} blocks)" in out
    assert "decimals() 18, USDT_DECIMALS 18: ok" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert label(a) in lines and "healthy" in lines[label(a)] and "(best)" in lines[label(a)]
    assert str(head) in lines[label(a)]
    assert "backup" in lines and "down" in lines["backup"] and "connection" in lines["backup"]
    assert "state" in lines["endpoint"] and "head lag" in lines["endpoint"]

    env["BSC_RPC_URLS"] = dead
    down = await asyncio.to_thread(_cli, "chain", "status", env=env, cwd=tmp_path)
    assert down.returncode == 1
    assert "chain: ALL RPC ENDPOINTS ARE DOWN" in down.stdout

    env["BSC_RPC_URLS"] = ""
    off = await asyncio.to_thread(_cli, "chain", "status", env=env, cwd=tmp_path)
    assert off.returncode == 1
    assert off.stdout.strip() == (
        "chain: not configured (BSC_RPC_URLS is empty): deposit watcher and payout sender are disabled"
    )


async def test_chain_status_cli_without_cursor(db_url: str, chain: LocalChain, tmp_path: Path) -> None:
    async with proxies(chain, 1) as (a,):
        env = {
            "DATABASE_URL": db_url,
            "BSC_RPC_URLS": a.url,
            "USDT_CONTRACT_ADDRESS": str(chain.token_address),
        }
        result = await asyncio.to_thread(_cli, "chain", "status", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cursor: usdt_deposits not set yet" in result.stdout
    missing = {**env, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'nope.db'}"}
    async with proxies(chain, 1) as (a,):
        missing["BSC_RPC_URLS"] = a.url
        result = await asyncio.to_thread(_cli, "chain", "status", env=missing, cwd=tmp_path)
    assert "cursor: unavailable (the database file does not exist)" in result.stdout
    assert not (tmp_path / "nope.db").exists()
