"""The callback routing index: a button's update skips, in one string test, every router none of whose
handlers could take its data.

aiogram tries a callback query against every handler of every router in turn, and each try costs
about 8 µs (the filters are called through aiogram's keyword-argument plumbing): a profile button
passed some 40 handlers before it reached its own (docs/performance.md). ``index`` gives each router a
root filter (``Accepts``) built from its handlers' own filters, so a router is entered only by data
one of them may match. The index is computed from the handlers, never written by hand: a new handler
widens it by itself.

A filter tells what it may match by a ``callback_keys()`` method returning ``Keys`` (exact strings and
string prefixes); aiogram's ``CallbackData.filter()`` is read as "its prefix". A handler with no such
filter (a catch-all, a state-only handler) may match anything: its router, and every router above it,
gets no index and is tried as before. The index only skips routers; the handlers' own filters still
decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery


@dataclass(frozen=True)
class Keys:
    """Callback data a filter may match: equal to one of ``exact``, or starting with one of ``prefixes``."""

    exact: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()

    def __or__(self, other: Keys) -> Keys:
        return Keys(self.exact | other.exact, self.prefixes | other.prefixes)

    def admits(self, data: str) -> bool:
        return data in self.exact or any(data.startswith(prefix) for prefix in self.prefixes)


class Exact(Filter):
    """Callback data equal to one packed value: a button without parameters (``callbacks.nav_to``)."""

    def __init__(self, packed: str) -> None:
        self.packed = packed

    async def __call__(self, query: CallbackQuery) -> bool:
        return query.data == self.packed

    def callback_keys(self) -> Keys:
        return Keys(exact=frozenset({self.packed}))

    def __str__(self) -> str:
        return f"Exact({self.packed!r})"


class Accepts(Filter):
    """A router's root filter: the data is admitted by the keys of the handlers in and below it."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self._exact = keys.exact
        self._prefixes = tuple(sorted(keys.prefixes))

    async def __call__(self, query: CallbackQuery) -> bool:
        data = query.data or ""
        return data in self._exact or data.startswith(self._prefixes)

    def __str__(self) -> str:
        return f"Accepts({len(self._exact)} exact, prefixes {', '.join(self._prefixes)})"


def filter_keys(callback: Any) -> Keys | None:
    """What one filter may match, or None when it does not say."""
    if isinstance(callback, CallbackQueryFilter):
        factory = callback.callback_data
        return Keys(prefixes=frozenset({factory.__prefix__ + factory.__separator__}))
    declared = getattr(callback, "callback_keys", None)
    return declared() if callable(declared) else None


def handler_keys(handler: HandlerObject) -> Keys | None:
    """A handler's filters must all pass: any one that says what it matches bounds the handler."""
    for event_filter in handler.filters or ():
        keys = filter_keys(event_filter.callback)
        if keys is not None:
            return keys
    return None


def router_keys(router: Router) -> Keys | None:
    """The keys of every callback handler in ``router`` and below it; None if one may match anything."""
    keys = Keys()
    for handler in router.callback_query.handlers:
        found = handler_keys(handler)
        if found is None:
            return None
        keys |= found
    for sub in router.sub_routers:
        below = router_keys(sub)
        if below is None:
            return None
        keys |= below
    return keys


def index(router: Router) -> None:
    """Give ``router`` and each router below it the root filter of its keys (where it has keys). Call it
    once the tree is built: handlers added afterwards are not in the index."""
    keys = router_keys(router)
    if keys is not None:
        router.callback_query.filter(Accepts(keys))
    for sub in router.sub_routers:
        index(sub)
