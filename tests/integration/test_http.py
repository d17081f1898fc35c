"""Health, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio

import aiohttp

from sigmatrade.sandbox.harness import Harness
from tests.conftest import REDIS_URL


async def test_probes_and_metrics(db_url: str) -> None:
    h = Harness(db_url, http=True, redis_url=REDIS_URL)
    await h.start()
    try:
        assert h.app is not None and h.app.http is not None
        base = f"http://127.0.0.1:{h.app.http.port}"
        await h.user(5001, "M", language_code="en").send("/start")
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/livez") as resp:
                assert resp.status == 200 and (await resp.json()) == {"status": "alive"}
            async with http.get(base + "/readyz") as resp:
                body = await resp.json()
                assert resp.status == 200, body
                assert (
                    body["checks"]["database"]["status"] == "ok"
                    and body["checks"]["schema"]["status"] == "ok"
                )
            async with http.get(base + "/healthz") as resp:
                body = await resp.json()
                assert resp.status == 200
                assert body["checks"]["bot_api"]["status"] == "ok"
                assert body["checks"]["chain"]["status"] == "not_configured"
                assert body["status"] in ("ok", "degraded") and "uptime_s" in body
            async with http.get(base + "/metrics") as resp:
                text = await resp.text()
            # What is not an endpoint: unknown paths, wrong methods (with what is allowed), HEAD of a GET.
            async with http.get(base + "/admin") as resp:
                assert resp.status == 404
            async with http.get(base + "/livez/") as resp:
                assert resp.status == 404
            async with http.post(base + "/metrics", data=b"x") as resp:
                assert resp.status == 405 and resp.headers["Allow"] == "GET,HEAD"
            async with http.get(base + "/telegram/webhook") as resp:
                assert resp.status == 405 and resp.headers["Allow"] == "POST"
            async with http.post(base + "/telegram/webhook", json={"update_id": 1}) as resp:
                assert resp.status == 404  # not in webhook mode: as if there were no such endpoint
        head = await raw_http(
            h.app.http.port, b"HEAD /livez HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")  # no body
        for name in (
            "sigmatrade_updates_total",
            "sigmatrade_update_duration_seconds",
            "sigmatrade_queue_depth",
            "sigmatrade_rpc_requests_total",
            "sigmatrade_chain_head_block",
            "sigmatrade_job_runs_total",
        ):
            assert name in text
        assert 'sigmatrade_updates_total{outcome="ok",type="message"}' in text
        # DB stopped -> not ready
        await h.rt.db.engine.dispose()
        h.rt.db.url = "broken"
        from sigmatrade.db.session import build_engine

        good_engine = h.rt.db.engine
        h.rt.db.engine = build_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
        async with aiohttp.ClientSession() as http, http.get(base + "/readyz") as resp:
            body = await resp.json()
            assert resp.status == 503 and "database" in body["failing"]
        await h.rt.db.engine.dispose()
        h.rt.db.engine = good_engine
    finally:
        await h.stop()


async def raw_http(port: int, request: bytes) -> bytes:
    """What the server sends for ``request`` until it closes the connection (a client reads no HEAD body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
