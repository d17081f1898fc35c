"""Recovery after a crash: the bot as real processes (``python -m sigmatrade run``) against the emulator.

SIGKILL then an immediate restart polls again at once (the dead predecessor's lease is recognised,
not waited out) and answers what was sent while it was down; with two replicas, killing the polling
holder lets the other poll quickly; SIGTERM releases every lease.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sigmatrade.db import leases
from sigmatrade.db.session import Database
from sigmatrade.sandbox.emulator import BotApiEmulator
from sigmatrade.sandbox.emulator.client import user_client
from sigmatrade.sandbox.harness import TEST_ENCRYPTION_KEY
from tests.conftest import REDIS_URL

POLLING = "telegram_polling"


class Proc:
    def __init__(self, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.popen = popen
        self.log = log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_started(self, timeout: float = 120) -> float:
        """When the process logged ``started`` (monotonic)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if '"started"' in self.output():
                return time.monotonic()
            if self.popen.poll() is not None:
                raise AssertionError(f"the bot exited: {self.output()[-3000:]}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not start: {self.output()[-3000:]}")


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    emu = BotApiEmulator()
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
def spawn(db_url: str, emulator: BotApiEmulator, tmp_path: Path) -> AsyncIterator[object]:
    procs: list[Proc] = []

    def start(name: str, *, jobs: bool = True) -> Proc:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "TEST_", "REDIS_"))
        }
        env.update(
            BOT_TOKEN=emulator.token,
            TELEGRAM_API_URL=emulator.base_url,
            DATABASE_URL=db_url,
            ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
            ENVIRONMENT="test",
            LOG_LEVEL="INFO",
            LOG_FORMAT="json",
            BSC_RPC_URLS="",
        )
        if REDIS_URL:
            env["REDIS_URL"] = REDIS_URL
        log = tmp_path / f"{name}.log"
        args = [sys.executable, "-m", "sigmatrade", "run", "--no-http", *([] if jobs else ["--no-jobs"])]
        with log.open("wb") as out:
            popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        proc = Proc(popen, log)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait(10)


async def _next_get_updates(emu: BotApiEmulator, after: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while emu.get_updates_calls <= after:
        if time.monotonic() > deadline:
            raise AssertionError("no getUpdates in time")
        await asyncio.sleep(0.02)
    return time.monotonic()


async def _terminate(proc: Proc) -> None:
    proc.popen.send_signal(signal.SIGTERM)
    for _ in range(600):
        if proc.popen.poll() is not None:
            break
        await asyncio.sleep(0.05)
    assert proc.popen.returncode == 0, proc.output()[-3000:]


async def test_start_up_pauses_the_collector_then_freezes_what_it_built(
    emulator: BotApiEmulator, spawn: object
) -> None:
    """``sigmatrade run`` builds itself with the cyclic collector off and then freezes that heap
    (``ops/heap.py``): when it says ``started``, the collector runs again and the start-up's objects are
    frozen, and the bot answers."""
    proc = spawn("one", jobs=False)  # type: ignore[operator]
    await proc.wait_started()
    started = next(json.loads(line) for line in proc.output().splitlines() if '"started"' in line)
    assert started["gc_enabled"] is True
    assert started["gc_frozen"] > 100_000  # aiogram's and SQLAlchemy's models, our routers
    ex = await user_client(emulator, 8811, "After", language_code="en").send("/start", timeout=60)
    assert "Welcome" in ex.text


async def test_sigkill_then_restart_polls_at_once_and_answers_what_came_meanwhile(
    db_url: str, emulator: BotApiEmulator, spawn: object
) -> None:
    first = spawn("first")  # type: ignore[operator]
    await first.wait_started()
    ex = await user_client(emulator, 8801, "Before", language_code="en").send("/start", timeout=60)
    assert "Welcome" in ex.text

    first.popen.send_signal(signal.SIGKILL)
    first.popen.wait(10)
    waiting = user_client(emulator, 8802, "Meanwhile", language_code="en")
    sent_while_down = waiting.post("/start")
    calls = emulator.get_updates_calls

    second = spawn("second")  # type: ignore[operator]
    up = await second.wait_started()
    polled = await _next_get_updates(emulator, calls, timeout=60)
    print(f"first getUpdates {polled - up:+.2f}s after the restarted process was up")
    assert polled - up <= 5.0
    await emulator.wait_processed(sent_while_down, timeout=20)
    assert any(e.kind == "send" for e in emulator.chat_events(8802))

    await _terminate(second)
    db = Database(db_url)
    try:
        async with db.session() as session:
            from sqlalchemy import select

            from sigmatrade.db.models import JobLease

            holders = (
                await session.scalars(select(JobLease.holder).where(JobLease.holder.is_not(None)))
            ).all()
        assert all(f":{second.pid}:" not in h for h in holders), holders  # SIGTERM released every lease
        assert await leases.holder_of(db, POLLING) is None
    finally:
        await db.dispose()


async def test_killing_the_polling_replica_lets_the_other_poll(
    db_url: str, emulator: BotApiEmulator, spawn: object
) -> None:
    replicas = [spawn("a", jobs=False), spawn("b", jobs=False)]  # type: ignore[operator]
    for replica in replicas:
        await replica.wait_started()
    db = Database(db_url)
    try:
        holder = None
        for _ in range(200):
            holder = await leases.holder_of(db, POLLING)
            if holder:
                break
            await asyncio.sleep(0.05)
        assert holder is not None
        pid = int(holder.rsplit(":", 2)[1])
        victim = next(r for r in replicas if r.pid == pid)
        survivor = next(r for r in replicas if r.pid != pid)
        ex = await user_client(emulator, 8811, "Before", language_code="en").send("/start", timeout=60)
        assert "Welcome" in ex.text

        victim.popen.send_signal(signal.SIGKILL)
        victim.popen.wait(10)
        killed = time.monotonic()
        calls = emulator.get_updates_calls
        polled = await _next_get_updates(emulator, calls, timeout=60)
        print(f"the standby polled {polled - killed:.2f}s after the holder was killed")
        assert polled - killed <= 15.0
        ex = await user_client(emulator, 8812, "After", language_code="en").send("/start", timeout=20)
        assert "Welcome" in ex.text
        holder = await leases.holder_of(db, POLLING)
        assert holder is not None and f":{survivor.pid}:" in holder
        await _terminate(survivor)
    finally:
        await db.dispose()
