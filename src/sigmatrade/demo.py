"""``sigmatrade demo``: the real bot end to end against the built-in Bot API emulator and a local chain.

No token, no internet: an emulator over HTTP, anvil with the 18-decimal test token, and a
temporary SQLite database. Prints a readable transcript and a summary; exit code 0 on success.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from sigmatrade.logging import setup_logging
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.harness import Harness
from sigmatrade.sandbox.transcript import Transcript


class DemoFailure(AssertionError):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailure(what)


async def run_script(h: Harness, chain: LocalChain, out: Transcript) -> list[str]:
    checks: list[str] = []
    out.section("1. A Russian-speaking guest: /start and help")
    anna = h.user(501, "Анна", username="anna_demo", language_code="ru")
    ex = await out.send(anna, "/start")
    expect("Добро пожаловать" in ex.text, "welcome in Russian")
    ex = await out.press(anna, "❓ Помощь")
    expect("Уровни депозита" in ex.text, "help in Russian")
    checks.append("ru welcome and help served over HTTP")

    out.section("2. An English-speaking guest: /start, help, language switch")
    bob = h.user(502, "Bob", username="bob_demo", language_code="en")
    ex = await out.send(bob, "/start")
    expect("Welcome to SigmaTrade" in ex.text, "welcome in English")
    ex = await out.send(bob, "/help")
    expect("Deposit levels" in ex.text, "help in English")
    await out.press(bob, "🏠 Menu")
    await out.press(bob, "🌐 Language")
    ex = await out.press(bob, "🇷🇺 Русский")
    expect("Добро пожаловать" in ex.text, "language switched to Russian")
    checks.append("en welcome/help and the language switch")

    out.section("3. The local chain")
    head = await chain.block_number()
    out.note(f"anvil at {chain.url}, chain id {chain.chain_id}, head block {head}")
    out.note(f"test USDT (18 decimals) at {chain.token_address}")
    checks.append("local chain with the test token is up")

    rejected = h.emulator.rejected()
    expect(not rejected, f"the emulator refused {len(rejected)} request(s)")
    checks.append(f"{len(h.emulator.requests)} Bot API requests, none refused")
    return checks


async def main(*, keep: bool = False, verbose: bool = False) -> int:
    setup_logging("INFO" if verbose else "ERROR", "console")
    out = Transcript()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="sigmatrade-demo-"))
    out.section("SigmaTrade demo — bot ↔ Bot API emulator (HTTP) ↔ local chain (anvil)")
    out.note(f"working directory: {workdir}")
    chain = LocalChain()
    harness: Harness | None = None
    try:
        await chain.start()
        await chain.deploy_token()
        harness = Harness(
            f"sqlite+aiosqlite:///{workdir / 'demo.db'}",
            data_dir=str(workdir),
            usdt_contract_address=chain.token_address,
            chain_id=chain.chain_id,
        )
        await harness.start()
        checks = await run_script(harness, chain, out)
    except Exception as exc:
        out.section("DEMO FAILED")
        traceback.print_exception(exc, file=sys.stdout)
        return 1
    finally:
        if harness is not None:
            await harness.stop()
        await chain.stop()
        if not keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(workdir)
    out.section("Summary")
    for item in checks:
        out.note(f"✔ {item}")
    out.note(f"finished in {time.monotonic() - started:.1f}s")
    return 0
