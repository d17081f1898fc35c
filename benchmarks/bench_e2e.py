"""Latency of the real process (issue: "Latency of the real process"), end to end over HTTP.

Starts ``sigmatrade run`` as a subprocess (bot, jobs, HTTP server, JSON logging to a file, the chain
runtime against a local anvil with the test token) pointed at the Bot API emulator, which runs here and
serves real HTTP. Drives a mix of guests and registered users (start, menus, deposits, profile,
history), one update at a time and rotating users so no throttling applies, after a warm-up (every
chat's /start and every step once, reported apart as the cold replies), and measures for every
update the time from its delivery (the getUpdates answer that carried it) to the first and to the last
Bot API call the bot made for it. A minimal aiogram bot (no database), started first through an
emulator of its own, gets the same steps, each right after ours, so that both are measured at the
same machine speed: the floor.

    make bench-e2e                                   # SQLite file (the embedded default)
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/sigmatrade_bench \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 make bench-e2e
    BENCH_ROUNDS=600 ...                             # updates measured (default 400)
    BENCH_PYSPY_OUT=/tmp/stacks.txt ...              # sample the real process with py-spy (collapsed stacks)
    BENCH_E2E_JOBS=1 ...                             # also: jobs every second vs jobs off (p99 added by jobs),
                                                     # both up at once, in alternating blocks (PostgreSQL:
                                                     # a database <name>_quiet; Redis: the next db)
    BENCH_STALLS_OUT=/tmp/stalls ...                 # event-loop steps over 0.5 ms by task and by code, and
                                                     # the garbage collections, per process
    BENCH_STARTUP_OUT=/tmp/startup ...               # start-up timeline (seconds, RSS) per process

Work per update is counted inside the real process (benchmarks/e2e_child.py exports the counters on its
/metrics): SQL statements, transactions, PostgreSQL round trips, Redis commands; it includes what
background jobs did during the window (reported apart from an idle window of the same length), and
``cpu_us``: the process's CPU time (user + system, every thread), read from outside. Bot API calls per
update are counted by the emulator. ``cpu_us`` has no floor beside it: the floor bot's CPU per update
grows with the time between its updates (an idle long poll costs CPU too), so it compares runs of our
process with each other, not with the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sigmatrade.bot.callbacks import Nav  # noqa: E402
from sigmatrade.sandbox.chain import LocalChain, dev_accounts, free_port  # noqa: E402
from sigmatrade.sandbox.emulator import BotApiEmulator  # noqa: E402
from sigmatrade.sandbox.emulator.client import UserClient, user_client  # noqa: E402
from sigmatrade.sandbox.harness import TEST_ENCRYPTION_KEY  # noqa: E402

GUESTS = [710_000 + n for n in range(40)]
REGISTERED = [720_000 + n for n in range(40)]
GUEST_STEPS = ["/start", Nav(to="help").pack(), Nav(to="menu").pack(), Nav(to="language").pack()]
USER_STEPS = [
    "/start",
    Nav(to="menu").pack(),
    Nav(to="deposits").pack(),
    Nav(to="profile").pack(),
    Nav(to="history").pack(),
]


@dataclass
class Run:
    name: str
    first: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    api_calls: int = 0
    startup: float = 0.0
    startup_cpu: float = 0.0  # CPU seconds of the process (user + system) until its first getUpdates
    rss: int = 0
    work: dict[str, float] = field(default_factory=dict)
    idle_work: dict[str, float] = field(default_factory=dict)
    window: float = 0.0
    by_step: dict[str, list[float]] = field(default_factory=dict)
    cold: dict[str, float] = field(default_factory=dict)  # first reply, first time each step ran


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def prepare_database(url: str, redis_url: str | None) -> None:
    from sqlalchemy import text
    from tests.factories import make_user

    from sigmatrade.app import build_runtime
    from sigmatrade.config import load_config
    from sigmatrade.db.session import Database

    if url.startswith("postgresql"):
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()
    config = load_config(
        _env_file=None,
        environment="test",
        database_url=url,
        encryption_key=TEST_ENCRYPTION_KEY,
        bsc_rpc_urls="",
    )
    rt = await build_runtime(config)
    async with rt.db.transaction() as session:
        for telegram_id in REGISTERED:
            await make_user(session, telegram_id=telegram_id, language="en")
    await rt.db.dispose()
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()


async def work_so_far(real: Real) -> dict[str, float]:
    """The process's counters from its /metrics, and its CPU time so far (user + system, all threads) in
    µs as a work kind of its own."""
    times = psutil.Process(real.proc.pid).cpu_times()
    return await scrape(real.http_port) | {"cpu_us": (times.user + times.system) * 1e6}


async def scrape(port: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        body = await resp.text()
    work: dict[str, float] = {}
    for line in body.splitlines():
        if line.startswith("bench_work_total{"):
            kind = line.split('kind="', 1)[1].split('"', 1)[0]
            work[kind] = float(line.rsplit(" ", 1)[1])
    return work


async def wait_first_poll(
    emu: BotApiEmulator, proc: asyncio.subprocess.Process, run: Run, started: float, timeout: float = 120
) -> None:
    """Records the start-up: wall time to the first getUpdates, and the CPU the process used until then
    (read within 5 ms after it; it leaves out waits for the CPU, but a machine whose speed wanders moves
    it as much as the wall time)."""
    deadline = time.monotonic() + timeout
    while emu.first_get_updates_at is None:
        if proc.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bot process did not poll (exit code {proc.returncode})")
        await asyncio.sleep(0.005)
    cpu = psutil.Process(proc.pid).cpu_times()
    run.startup_cpu = cpu.user + cpu.system
    run.startup = emu.first_get_updates_at - started


async def step(client: UserClient, action: str) -> Any:
    if action.startswith("/"):
        return await client.send(action)
    return await client.press_data(action)


@dataclass
class Floor:
    """The floor bot, started before our process and driven update by update alternately with it."""

    emu: BotApiEmulator
    proc: asyncio.subprocess.Process
    run: Run
    plan: list[tuple[UserClient, str]]


async def warm_up(emu: BotApiEmulator, run: Run, rounds: int) -> list[tuple[UserClient, str]]:
    """Every chat's /start and every step once (reported apart as the cold replies); returns the plan of
    the measured updates."""
    guests = [user_client(emu, tg, "Guest", language_code="en") for tg in GUESTS]
    users = [user_client(emu, tg, "User", language_code="en") for tg in REGISTERED]
    for client in guests + users:  # warm-up: every chat has a message with buttons
        await client.send("/start")
    # Warm-up, continued: every step once (by the last guest and user, whose next press of the same
    # button in the plan comes well after the double-tap second), so that the measured updates are the
    # steady state; these first-time replies are reported apart ("cold").
    for who, client, steps in (("guest", guests[-1], GUEST_STEPS), ("user", users[-1], USER_STEPS)):
        for action in steps[1:]:
            exchange = await step(client, action)
            delivered = emu.delivered_at.get(exchange.update_id)
            if delivered is not None and exchange.events:
                run.cold[f"{who} {action.split(':')[-1]}"] = min(e.at for e in exchange.events) - delivered
    plan: list[tuple[UserClient, str]] = []
    for i in range(rounds):
        group, steps = (guests, GUEST_STEPS) if i % 2 == 0 else (users, USER_STEPS)
        n = (i // 2) % len(group)
        lap = (i // 2) // len(group)
        plan.append((group[n], steps[lap % len(steps)]))
    return plan


async def measure(emu: BotApiEmulator, run: Run, client: UserClient, action: str) -> None:
    exchange = await step(client, action)
    delivered = emu.delivered_at.get(exchange.update_id)
    if delivered is None or not exchange.events:
        return
    run.first.append(min(e.at for e in exchange.events) - delivered)
    who = "guest" if client.id in GUESTS else "user"
    run.by_step.setdefault(f"{who} {action.rsplit(':', maxsplit=1)[-1]}", []).append(run.first[-1])
    run.last.append(max(e.at for e in exchange.events) - delivered)
    run.api_calls += len(exchange.events)


async def drive(emu: BotApiEmulator, run: Run, rounds: int, floor: Floor | None = None) -> None:
    """The measured updates, one at a time. With ``floor``, each of ours is followed by the same step
    on the floor bot: both are measured under the same machine speed (a 2-core machine's speed wanders
    by tens of percent within minutes, which made the ratio of two runs a minute apart a lottery)."""
    plan = await warm_up(emu, run, rounds)
    for i, (client, action) in enumerate(plan):
        await measure(emu, run, client, action)
        if floor is not None:
            await measure(floor.emu, floor.run, *floor.plan[i])


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 40)
        except TimeoutError:
            proc.kill()
            await proc.wait()


# Jobs made busy for the comparison: each runs every second during the window.
BUSY_JOBS = {
    "JOB_BLOCKCHAIN_MONITOR_INTERVAL_SECONDS": "1",
    "JOB_PAYMENT_PROCESSOR_INTERVAL_SECONDS": "1",
    "JOB_PERFORMANCE_REPORT_INTERVAL_SECONDS": "1",
    "JOB_NOTIFICATION_RETRY_INTERVAL_SECONDS": "1",
    "JOB_PAYMENT_RETRY_INTERVAL_SECONDS": "1",
}


@dataclass
class Real:
    """A started ``sigmatrade run`` with its own emulator and chain."""

    run: Run
    proc: asyncio.subprocess.Process
    emu: BotApiEmulator
    chain: LocalChain
    http_port: int
    stderr_path: Path
    stderr_file: Any


async def start_real(
    url: str,
    redis_url: str | None,
    home: Path,
    *,
    name: str = "sigmatrade run",
    args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> Real:
    """A fresh database, then the process up (start-up and idle RSS recorded); its files under ``home``."""
    run = Run(name)
    os.makedirs(home, exist_ok=True)
    # Job intervals from the environment are seeded into the settings when the database is prepared.
    saved = {k: os.environ.get(k) for k in (extra_env or {})}
    os.environ.update(extra_env or {})
    try:
        await prepare_database(url, redis_url)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    chain = await LocalChain().start()
    emu = await BotApiEmulator().start()
    stderr_path = home / "stderr.txt"
    stderr_file = stderr_path.open("wb")
    try:
        token = await chain.deploy_token()
        http_port = free_port()
        env = {
            **deployed_env(),
            "ENVIRONMENT": "production",
            "BOT_TOKEN": emu.token,
            "TELEGRAM_API_URL": emu.base_url,
            "DATABASE_URL": url,
            "REDIS_URL": redis_url or "",
            "ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
            "BSC_RPC_URLS": chain.url,
            "CHAIN_ID": "56",
            "USDT_CONTRACT_ADDRESS": token,
            "USDT_DECIMALS": "18",
            "SYSTEM_WALLET_ADDRESS": dev_accounts(2)[1].address,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(http_port),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "LOG_FILE": str(home / "sigmatrade.log"),
            "DATA_DIR": str(home),
            "BACKUP_DIR": str(home / "backups"),
            # The code of the tree this bench lives in, whatever an editable install points at (a
            # second checkout's bench otherwise measured the first checkout's code).
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
            **(extra_env or {}),
        }
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "benchmarks" / "e2e_child.py"),
            *args,
            cwd=str(home),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr_file,  # a file, not a pipe: an unread pipe would block the bot's writes
        )
    except BaseException:
        stderr_file.close()
        await emu.stop()
        await chain.stop()
        raise
    real = Real(run, proc, emu, chain, http_port, stderr_path, stderr_file)
    try:
        await wait_first_poll(emu, proc, run, started)
        await asyncio.sleep(3)
        run.rss = psutil.Process(proc.pid).memory_info().rss
    except BaseException:
        await stop_real(real)
        raise
    return real


async def stop_real(real: Real) -> None:
    proc = real.proc
    if proc.returncode is None:
        proc.send_signal(signal.SIGCONT)  # if it was stopped (the jobs comparison)
    await stop_process(proc)
    real.stderr_file.close()
    if proc.returncode not in (0, None):
        print(real.stderr_path.read_text(errors="replace")[-2000:], file=sys.stderr)
    await real.emu.stop()
    await real.chain.stop()


async def run_real(
    url: str, redis_url: str | None, rounds: int, home: Path, *, floor: Floor | None = None
) -> Run:
    real = await start_real(url, redis_url, home)
    run = real.run
    try:
        before = await work_so_far(real)
        spy = await start_py_spy(real.proc.pid)
        t0 = time.monotonic()
        await drive(real.emu, run, rounds, floor)
        run.window = time.monotonic() - t0
        await stop_py_spy(spy)
        after = await work_so_far(real)
        run.work = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        await asyncio.sleep(min(run.window, 30))  # an idle window: what the jobs alone do
        idle = await work_so_far(real)
        scale = run.window / min(run.window, 30)
        run.idle_work = {k: (idle.get(k, 0) - after.get(k, 0)) * scale for k in idle}
    finally:
        await stop_real(real)
    return run


JOBS_BLOCK = 100  # updates measured on one process before switching to the other
JOBS_SETTLE = 0.3  # seconds a resumed process runs before its block is measured


async def run_jobs_pair(url: str, redis_url: str | None, rounds: int, workdir: Path) -> tuple[Run, Run]:
    """Jobs every second against jobs off: both processes up at once (each with its own database and
    Redis database), measured in alternating blocks of ``JOBS_BLOCK`` updates, so both are measured at
    the same machine speed. While one process's block runs, the other is stopped (SIGSTOP): the busy
    one's jobs never take the quiet one's CPU. A resumed process runs ``JOBS_SETTLE`` seconds unmeasured
    first (the busy one's jobs that fell due while it was stopped run then); within its block its jobs
    run at their own pace, every second, beside whatever update arrives: the phase they have in service.
    (Switching at every update instead started the overdue jobs with nearly every update of the busy
    process: a comparison of worst cases, not of service.)"""
    quiet_url = await second_database(url, workdir)
    quiet_redis = second_redis(redis_url)
    busy = await start_real(url, redis_url, workdir / "busy", name="jobs every second", extra_env=BUSY_JOBS)
    try:
        quiet = await start_real(
            quiet_url, quiet_redis, workdir / "quiet", name="jobs off", args=("--no-jobs",)
        )
        try:
            sides = [(real, other, await warm_up(real.emu, real.run, rounds)) for real, other in
                     ((busy, quiet), (quiet, busy))]  # fmt: skip
            for start in range(0, rounds, JOBS_BLOCK):
                for real, other, plan in sides:
                    other.proc.send_signal(signal.SIGSTOP)
                    real.proc.send_signal(signal.SIGCONT)
                    await asyncio.sleep(JOBS_SETTLE)
                    for client, action in plan[start : start + JOBS_BLOCK]:
                        await measure(real.emu, real.run, client, action)
        finally:  # (``stop_real`` resumes a stopped process first)
            await stop_real(quiet)
    finally:
        await stop_real(busy)
    return busy.run, quiet.run


async def second_database(url: str, workdir: Path) -> str:
    """The quiet process's database beside ``url``: a SQLite file, or a PostgreSQL database
    ``<name>_quiet`` on the same server (created if missing)."""
    if not url.startswith("postgresql"):
        return f"sqlite+aiosqlite:///{workdir / 'quiet.db'}"
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    parsed = make_url(url)
    name = f"{parsed.database}_quiet"
    server = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def second_redis(redis_url: str | None) -> str | None:
    """The quiet process's Redis database: the next database number on the same server."""
    if redis_url is None:
        return None
    base, _, number = redis_url.rpartition("/")
    if not number.isdigit() or "//" not in base:
        return redis_url.rstrip("/") + "/1"
    return f"{base}/{int(number) + 1}"


async def start_py_spy(pid: int) -> asyncio.subprocess.Process | None:
    """With ``BENCH_PYSPY_OUT=<file>`` (py-spy on PATH): sample the real process while it is driven,
    collapsed stacks with idle time included (``--idle``), for finding where an update's time goes."""
    out = os.environ.get("BENCH_PYSPY_OUT")
    if not out:
        return None
    idle = ("--idle",) if os.environ.get("BENCH_PYSPY_IDLE") else ()
    spy = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--rate", "1000", *idle, "--format", "raw", "-o", out,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(1)
    return spy


async def stop_py_spy(spy: asyncio.subprocess.Process | None) -> None:
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)
    await spy.wait()


def deployed_env() -> dict[str, str]:
    """Both processes start as installed code does: with compiled bytecode. Some machines set
    PYTHONDONTWRITEBYTECODE, which made every start of ours compile 300 modules (0.3-0.7 s) while the
    floor compiles one file; the sources are compiled once before the first start instead."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_sources() -> None:
    import compileall

    compileall.compile_dir(str(ROOT / "src" / "sigmatrade"), quiet=1)
    compileall.compile_dir(str(ROOT / "benchmarks"), quiet=1, maxlevels=0)


async def start_floor(rounds: int) -> Floor:
    """The floor bot up, its start-up and idle RSS recorded, its chats warmed up."""
    run = Run("minimal aiogram bot")
    emu = await BotApiEmulator().start()
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "benchmarks" / "floor_bot.py"),
        emu.token,
        emu.base_url,
        env=deployed_env(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_first_poll(emu, proc, run, started)
        await asyncio.sleep(3)
        run.rss = psutil.Process(proc.pid).memory_info().rss
        plan = await warm_up(emu, run, rounds)
    except BaseException:
        await stop_process(proc)
        await emu.stop()
        raise
    return Floor(emu, proc, run, plan)


async def stop_floor(floor: Floor) -> None:
    await stop_process(floor.proc)
    await floor.emu.stop()


def report(real: Run, floor: Run, backend: str) -> None:
    n = len(real.first)
    print(f"bench-e2e: {backend}; {n} updates, one at a time, {len(GUESTS)} guests + {len(REGISTERED)} users")
    print("delivery -> first reply (ms)      p50      p90      p99     mean")
    for run in (real, floor):
        print(
            f"  {run.name:<28}{pct(run.first, 50):>8.2f} {pct(run.first, 90):>8.2f} {pct(run.first, 99):>8.2f} "
            f"{statistics.mean(run.first) * 1000:>8.2f}"
        )
    print("delivery -> last reply (ms)")
    for run in (real, floor):
        print(
            f"  {run.name:<28}{pct(run.last, 50):>8.2f} {pct(run.last, 90):>8.2f} {pct(run.last, 99):>8.2f} "
            f"{statistics.mean(run.last) * 1000:>8.2f}"
        )
    print(
        f"ratio to the floor (first reply): p50 {pct(real.first, 50) / pct(floor.first, 50):.2f}x   "
        f"p99 {pct(real.first, 99) / pct(floor.first, 99):.2f}x   "
        "(goal: p50 <= 1.5x on PostgreSQL + Redis, <= 2x on SQLite; p99 <= 15 ms on PostgreSQL + Redis)"
    )
    print(
        f"start-up to the first getUpdates: {real.startup:.2f} s (floor {floor.startup:.2f} s, "
        f"{real.startup / floor.startup:.3f}x)   idle RSS: {real.rss / 2**20:.1f} MB "
        f"(floor {floor.rss / 2**20:.1f} MB, {real.rss / floor.rss:.3f}x)   goal <= 1.3x each"
    )
    print(
        f"  start-up CPU (user + system) to the first getUpdates: {real.startup_cpu:.2f} s "
        f"(floor {floor.startup_cpu:.2f} s, {real.startup_cpu / floor.startup_cpu:.2f}x)"
    )
    kinds = sorted(set(real.work) | set(real.idle_work))
    digits = {"cpu_us": 0}
    per_update = "   ".join(f"{k} {real.work.get(k, 0) / max(1, n):.{digits.get(k, 2)}f}" for k in kinds)
    jobs_only = "   ".join(f"{k} {real.idle_work.get(k, 0) / max(1, n):.{digits.get(k, 2)}f}" for k in kinds)
    print(f"work per update (window of {real.window:.1f} s, background jobs included): {per_update}")
    print(f"  of which background jobs (same-length idle window): {jobs_only}")
    steps = "   ".join(f"{name} {pct(values, 50):.1f}" for name, values in sorted(real.by_step.items()))
    print(f"first reply p50 by step (ms): {steps}")
    cold = "   ".join(f"{name} {value * 1000:.1f}" for name, value in sorted(real.cold.items()))
    print(
        f"first reply the first time each step ran after start-up (warm-up, not measured above; ms): {cold}"
    )
    floor_calls = floor.api_calls / max(1, len(floor.first))
    print(f"Bot API calls per update: {real.api_calls / max(1, n):.2f} (floor {floor_calls:.2f})")


async def main() -> int:
    rounds = int(os.environ.get("BENCH_ROUNDS", "400"))
    url = os.environ.get("BENCH_DATABASE_URL")
    redis_url = os.environ.get("BENCH_REDIS_URL") or None
    workdir = Path(tempfile.mkdtemp(prefix="sigmatrade-bench-e2e-"))
    if not url:
        url = f"sqlite+aiosqlite:///{workdir / 'sigmatrade.db'}"
    backend = ("PostgreSQL" if url.startswith("postgresql") else "SQLite file") + (
        " + Redis" if redis_url else ""
    )
    compile_sources()
    floor_bot = await start_floor(rounds)
    try:
        real = await run_real(url, redis_url, rounds, workdir, floor=floor_bot)
    finally:
        await stop_floor(floor_bot)
    floor = floor_bot.run
    with contextlib.suppress(OSError):
        size = (workdir / "sigmatrade.log").stat().st_size
        print(f"(log file: {size / 1024:.0f} KiB of JSON lines)")
    report(real, floor, backend + ", jobs on, chain runtime on anvil, JSON log file")
    if os.environ.get("BENCH_E2E_JOBS"):
        busy, quiet = await run_jobs_pair(
            url if url.startswith("postgresql") else f"sqlite+aiosqlite:///{workdir / 'busy.db'}",
            redis_url,
            rounds,
            workdir,
        )
        report_jobs(busy, quiet)
    return 0


def report_jobs(busy: Run, quiet: Run) -> None:
    """What running jobs add to the updates handled at the same time (goal: at most 1 ms on p99)."""
    print(
        "jobs running during the updates (monitor, payment processor and retries, performance report every 1 s),"
        f" against jobs off, in alternating blocks of {JOBS_BLOCK} updates (the other process stopped):"
    )
    print("delivery -> first reply (ms)      p50      p90      p99")
    for run in (busy, quiet):
        print(
            f"  {run.name:<28}{pct(run.first, 50):>8.2f} {pct(run.first, 90):>8.2f} {pct(run.first, 99):>8.2f}"
        )
    print(
        f"  added by the jobs: p50 {pct(busy.first, 50) - pct(quiet.first, 50):+.2f} ms   "
        f"p99 {pct(busy.first, 99) - pct(quiet.first, 99):+.2f} ms   (goal: p99 <= +1 ms)"
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
