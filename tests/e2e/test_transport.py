"""Transport: webhook mode (secret checked), FSM persistence across restarts, one polling replica."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
from structlog.testing import capture_logs

from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.harness import Harness
from sigmatrade.web.server import MAX_WEBHOOK_BODY
from tests.conftest import REDIS_URL


async def test_webhook_mode(db_url: str) -> None:
    emu = BotApiEmulator()
    await emu.start()
    from sigmatrade.sandbox.chain import free_port

    port = free_port()
    secret = "s3cret-token_for-webhook"
    h = Harness(
        db_url,
        http=True,
        emulator=emu,
        redis_url=REDIS_URL,
        http_port=port,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret=secret,
    )
    await h.start()
    try:
        assert emu.webhook is not None and emu.webhook["secret_token"] == secret
        ex = await h.user(4001, "Web", language_code="en").send("/start")
        assert "Welcome" in ex.text
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            async with http.post(url, json={"update_id": 1}) as resp:
                assert resp.status == 403
            async with http.post(
                url, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong-secret-value"}
            ) as resp:
                assert resp.status == 403
            # An update this version cannot read is taken as handled (Telegram would redeliver it and
            # hold every later one behind it until it got a 200), and what the user typed is not logged.
            unreadable = {"update_id": 2, "message": {"message_id": "x", "text": "my secret 123"}}
            with capture_logs() as logs:
                async with http.post(
                    url, json=unreadable, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
                ) as resp:
                    assert resp.status == 200
            assert [entry["update_id"] for entry in logs if entry["event"] == "update_unreadable"] == [2]
            assert "my secret" not in repr(logs)
            # A body that is not JSON, or too large (with a length, or without one), changes nothing.
            signed = {"X-Telegram-Bot-Api-Secret-Token": secret}
            with capture_logs() as logs:
                await post_bad_bodies(http, url, signed)
            assert [entry for entry in logs if entry["event"].startswith("update")] == []
            await expect_headers(port, secret)
        ex = await h.user(4001, "Web", language_code="en").send("/start")
        assert "Welcome" in ex.text  # and the next update is answered
    finally:
        await h.stop()
        await emu.stop()


async def post_bad_bodies(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
    """Bodies that are not JSON (400), or too large with a length or without one (413)."""
    not_utf8, long_number = b'{"update_id": 3, "text": "\xff"}', b'{"update_id": ' + b"1" * 5000 + b"}"
    for body in (b"{not json", not_utf8, b'{"update_id": 3, "pad": "', long_number, b"[" * 200_000):
        async with http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 400, body
    big = b'{"update_id": 4, "pad": "' + b"x" * MAX_WEBHOOK_BODY + b'"}'
    async with http.post(url, data=big, headers=headers) as resp:
        assert resp.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        yield big[:1000]
        yield big[1000:]

    async with http.post(url, data=chunks(), headers=headers) as resp:  # no Content-Length
        assert resp.status == 413


async def expect_headers(port: int, secret: str) -> None:
    """A client that sends ``Expect: 100-continue`` gets the interim answer before it sends the body, once
    the request passed the checks that need no body (a wrong secret or a body announced too large is
    answered at once); any other expectation is refused (417). An encoded "/" is not the path's "/"."""
    for head, status in (
        (f"Content-Length: 9\r\nX-Telegram-Bot-Api-Secret-Token: x{secret}\r\n", b"403"),
        (f"Content-Length: {MAX_WEBHOOK_BODY + 1}\r\nX-Telegram-Bot-Api-Secret-Token: {secret}\r\n", b"413"),
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(
                f"POST /telegram/webhook HTTP/1.1\r\nHost: t\r\n{head}Expect: 100-continue\r\n\r\n".encode()
            )
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 " + status)
        finally:
            writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (
            "POST /telegram/webhook HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
        )
        writer.write(f"{head}Expect: 100-continue\r\n\r\n".encode())
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"{not json")
        assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 400 ")
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(f"{head}Expect: bogus\r\n\r\n{{not json".encode())
        assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 417 ")
    finally:
        writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"POST /telegram%2Fwebhook HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n{{}}".encode()
        )
        assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.1 404 ")
    finally:
        writer.close()


async def test_fsm_state_survives_restart(db_url: str) -> None:
    emu = BotApiEmulator()
    await emu.start()
    try:
        h1 = Harness(db_url, emulator=emu, redis_url=REDIS_URL)
        await h1.start()
        user = h1.user(4002, "Lang", language_code="ru")
        await user.send("/start")
        await user.press("🌐 Язык")
        await user.press("🇬🇧 English")
        await h1.stop()
        h2 = Harness(db_url, emulator=emu, redis_url=REDIS_URL)
        await h2.start()
        try:
            ex = await user.send("/start")
            assert "Welcome to SigmaTrade" in ex.text  # the guest's language choice was kept
        finally:
            await h2.stop()
    finally:
        await emu.stop()


async def test_only_one_replica_polls(db_url: str) -> None:
    emu = BotApiEmulator()
    await emu.start()
    replicas = [Harness(db_url, emulator=emu, redis_url=REDIS_URL) for _ in range(2)]
    try:
        for replica in replicas:
            await replica.start()
        await asyncio.sleep(0.5)
        pollers = [r.app.poller for r in replicas if r.app is not None]
        assert sum(1 for p in pollers if p.has_lease) == 1
        for i in range(5):
            ex = await replicas[0].user(4100 + i, "R", language_code="en").send("/start")
            assert len(ex.sent) == 1  # processed exactly once
    finally:
        for replica in replicas:
            await replica.stop()
        await emu.stop()


async def test_stopping_ends_the_long_poll_at_once(db_url: str) -> None:
    """The poller waits in a long poll (5 s in the harness); stopping cancels that call instead of
    waiting for its answer, and the poller's own task ends with no error."""
    harness = await Harness(db_url, redis_url=REDIS_URL).start()
    try:
        ex = await harness.user(4190, "S", language_code="en").send("/start")
        assert ex.events
        assert harness.app is not None and harness.app.poller is not None
        poller = harness.app.poller
        for _ in range(100):  # the next long poll is in flight
            if poller._fetch is not None:
                break
            await asyncio.sleep(0.02)
        assert poller._fetch is not None
        began = time.monotonic()
    finally:
        await harness.stop()
    assert time.monotonic() - began < 2
    assert poller._fetch is None
