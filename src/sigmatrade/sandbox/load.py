"""Many users registering through the real bot at once (the registration benchmark and its test).

Each user does /start → Register → wallet, as a person would; users run in parallel batches. Each
step's latency is measured from pushing the update to the bot's answer in that chat (the emulator
records when the bot sent or edited the message), not to the offset receipt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sigmatrade.domain.addresses import to_checksum
from sigmatrade.sandbox.emulator.client import UserClient
from sigmatrade.sandbox.emulator.state import ChatEvent
from sigmatrade.sandbox.harness import Harness

FIRST_USER_ID = 9_000_000


@dataclass
class RegistrationRun:
    steps: dict[str, list[float]] = field(default_factory=lambda: {"start": [], "register": [], "wallet": []})
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def all(self) -> list[float]:
        return sorted(x for samples in self.steps.values() for x in samples)


async def _step(
    h: Harness,
    client: UserClient,
    act: Callable[[], object],
    expect: Callable[[ChatEvent], bool],
    timeout: float,
) -> float:
    since = len(h.emulator.events)
    started = time.monotonic()
    act()
    event = await h.emulator.wait_for_event(
        lambda e: e.chat_id == client.id and e.kind in ("send", "edit") and expect(e),
        since=since,
        timeout=timeout,
    )
    return event.at - started


def _text(event: ChatEvent) -> str:
    return event.message.body if event.message is not None else ""


async def register_one(h: Harness, index: int, run: RegistrationRun, timeout: float) -> None:
    uid = FIRST_USER_ID + index
    client = h.user(uid, f"Load{index}", language_code="en")
    wallet = to_checksum("0x" + f"{0x5EED0000 + index:040x}")
    try:
        run.steps["start"].append(
            await _step(
                h, client, lambda: client.post("/start"), lambda e: "Register" in str(e.message), timeout
            )
        )
        message, button = client.find_button("Register")
        run.steps["register"].append(
            await _step(
                h,
                client,
                lambda: client.push_press(button["callback_data"], message),
                lambda e: "BEP-20" in _text(e),
                timeout,
            )
        )
        run.steps["wallet"].append(
            await _step(
                h, client, lambda: client.post(wallet), lambda e: "Registration complete" in _text(e), timeout
            )
        )
    except Exception as exc:  # counted and reported, the run goes on
        run.failed.append(f"{uid}: {type(exc).__name__}: {exc}")


async def register_many(h: Harness, count: int, parallel: int, *, timeout: float = 30) -> RegistrationRun:
    """``count`` registrations, ``parallel`` users at a time (batches)."""
    run = RegistrationRun()
    began = time.monotonic()
    for first in range(0, count, parallel):
        batch = range(first, min(count, first + parallel))
        await asyncio.gather(*(register_one(h, i, run, timeout) for i in batch))
    run.seconds = time.monotonic() - began
    return run
