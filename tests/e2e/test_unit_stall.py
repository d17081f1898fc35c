"""A settings refresh inside a write transaction must not stall the bot (issue: SQLite self-deadlock).

The settings cache is expired right before every read, so the read inside registration's write
transaction (the wallet rules read the system wallet settings) is a refresh. Before the fix that
refresh opened its own connection, which on SQLite waited for the write lock held by the same
coroutine until the busy timeout (30 s).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from sigmatrade import clock
from sigmatrade.db.session import unit
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services.settings import SettingsStore

STALL_LIMIT = 8.0  # far below the 30 s busy timeout; a healthy registration step takes well under 1 s


def expire_before_every_read(store: SettingsStore, monkeypatch: pytest.MonkeyPatch) -> None:
    original = store.get

    async def get(key: str) -> Any:
        store.invalidate()
        return await original(key)

    monkeypatch.setattr(store, "get", get)


async def test_registration_with_the_settings_cache_expiring_inside_the_unit(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    expire_before_every_read(h.rt.store, monkeypatch)
    user = h.user(7101, "Stall", language_code="en")
    await user.send("/start", timeout=STALL_LIMIT)
    clock.travel(timedelta(seconds=2.1))
    await user.press("Register", timeout=STALL_LIMIT)
    clock.travel(timedelta(seconds=2.1))
    ex = await asyncio.wait_for(
        user.send(to_checksum("0x" + "5c" * 20), timeout=STALL_LIMIT), STALL_LIMIT + 1
    )
    assert "Registration complete" in ex.text, ex.text


async def test_store_reads_inside_a_unit_go_through_the_unit(harness: Harness) -> None:
    rt = harness.rt
    async with rt.db.session() as session:
        async with unit(session):
            rt.store.invalidate()
            value = await asyncio.wait_for(rt.store.get("finpass.max_attempts"), STALL_LIMIT)
            snapshot = await asyncio.wait_for(rt.store.snapshot(), STALL_LIMIT)
        assert value == 5 and snapshot["finpass.max_attempts"] == 5
