"""The collector across start-up (``ops/heap.py``): paused, then frozen and back on; a no-op for a
process that did not pause it."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigmatrade.ops import heap


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    heap.resume()
    gc.unfreeze()
    if was:
        gc.enable()


def test_pause_then_settle_freezes_and_turns_the_collector_back_on(collector: None) -> None:
    gc.unfreeze()
    heap.pause()
    assert not gc.isenabled()
    heap.settle()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert heap.state() == {"gc_enabled": True, "gc_frozen": gc.get_freeze_count()}


def test_settle_without_pause_changes_nothing(collector: None) -> None:
    gc.unfreeze()
    heap.settle()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_resume_after_a_failed_start_turns_the_collector_on_without_freezing(collector: None) -> None:
    gc.unfreeze()
    heap.pause()
    heap.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    heap.settle()  # nothing left to settle
    assert gc.get_freeze_count() == 0


def test_pause_leaves_a_collector_someone_else_turned_off_to_them(collector: None) -> None:
    gc.disable()
    heap.pause()
    heap.settle()
    assert not gc.isenabled()
    gc.enable()


_GARBAGE_PROBE = """
import gc, sys
from sigmatrade.ops import heap
heap.pause()
import sigmatrade.cli, sigmatrade.app, sigmatrade.bot.factory
gc.set_debug(gc.DEBUG_SAVEALL)
gc.collect()
print(len(gc.garbage))
"""


def test_start_up_freezes_little_garbage() -> None:
    """What `sigmatrade run` imports with the collector paused leaves little cyclic garbage to be frozen
    with the heap: aiohttp, whose import left about 1,200 such objects (0.4-0.5 MB of idle RSS), is
    imported by ``pause()`` while the collector still runs."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run(
        [sys.executable, "-c", _GARBAGE_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert int(out.split()[-1]) < 500
