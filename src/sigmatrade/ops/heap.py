"""The cyclic garbage collector across start-up (docs/decisions.md "Start-up with the collector paused").

Start-up builds a heap of about 300,000 objects (aiogram's and pydantic's models, SQLAlchemy's mappers,
our routers) that lives as long as the process. With the collector on, it ran about 630 times during
the imports, full collections included, each scanning the whole heap built so far; a full collection
of the finished heap takes 0.1-0.3 s on a 2-core machine, and at run time one would hold the event loop
that long.

``pause()`` before the imports (``sigmatrade run`` only); ``settle()`` once the process is built:
the objects alive then are frozen (later collections never scan them again) and the collector runs as
usual for everything created after. Start-up's own cyclic garbage is frozen with the rest instead of
collected: a full collection to find it would cost 0.2-0.3 s of start-up. Most of it (aiohttp's first
copies of its attrs classes) is avoided: ``pause()`` imports aiohttp while the collector still runs.
What is left is about 150 objects (about 17,000 when start-up runs the migrations). A long data
migration is better run by `sigmatrade db upgrade` before `run`: here it would run with the collector
off.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Turn the collector off until ``settle()`` or ``resume()`` (no-op when it is already off)."""
    global _paused
    # Imported while the collector still runs: aiohttp builds its attrs classes twice at import, and the
    # first copies (about 1,200 objects of cyclic garbage, 0.4-0.5 MB of idle RSS) are collected as they
    # appear instead of being frozen with the start-up heap.
    import aiohttp  # noqa: F401

    if gc.isenabled():
        gc.disable()
        _paused = True


def settle() -> None:
    """Freeze what start-up built and turn the collector back on; a no-op unless ``pause()`` turned it
    off (a process that did not pause, tests included, keeps its collector as it was)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def state() -> dict[str, object]:
    """For the ``started`` log line: whether the collector runs, and how many objects are frozen."""
    return {"gc_enabled": gc.isenabled(), "gc_frozen": gc.get_freeze_count()}


def resume() -> None:
    """Turn the collector back on without freezing (start-up failed or ended before ``settle()``)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()
