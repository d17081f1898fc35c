"""The routing index: an update skips, in one test, every router none of whose handlers could take it.

aiogram tries an update against every handler of every router in turn, and each try costs about
8 µs (the filters are called through aiogram's keyword-argument plumbing): a Profile button passed
some 40 handlers before it reached its own, a withdrawal amount typed in its input state 18
(docs/performance.md). ``index`` gives each router root filters built from its handlers' own
filters, so a router is entered only by an update one of them may take. The index is computed from
the handlers, never written by hand: a new handler widens it by itself. It only skips routers; the
handlers' own filters still decide.

* Buttons (``callback_query``): a filter tells what data it may match by a ``callback_keys()`` method
  returning ``Keys`` (exact strings and string prefixes); aiogram's ``CallbackData.filter()`` is read
  as "its prefix".
* Messages: a ``StateFilter`` tells the FSM states a handler runs in; a router whose message handlers
  all have one is entered only in those states (``InStates``).

A handler with no such filter (a catch-all, a state-only button handler, a command) may take
anything: its router, and every router above it, gets no index for that kind of update and is tried
as before.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

T = TypeVar("T")


@dataclass(frozen=True)
class Keys:
    """Callback data a filter may match: equal to one of ``exact``, or starting with one of ``prefixes``."""

    exact: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()

    def __or__(self, other: Keys) -> Keys:
        return Keys(self.exact | other.exact, self.prefixes | other.prefixes)

    def admits(self, data: str) -> bool:
        return data in self.exact or data.startswith(tuple(self.prefixes))


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

    async def __call__(self, query: CallbackQuery) -> bool:
        return self.keys.admits(query.data or "")

    def __str__(self) -> str:
        return f"Accepts({len(self.keys.exact)} exact, prefixes {', '.join(sorted(self.keys.prefixes))})"


def filter_keys(callback: Any) -> Keys | None:
    """What one filter may match, or None when it does not say."""
    if isinstance(callback, CallbackQueryFilter):
        factory = callback.callback_data
        if not factory.model_fields:  # packs to its prefix alone
            return Keys(exact=frozenset({factory.__prefix__}))
        return Keys(prefixes=frozenset({factory.__prefix__ + factory.__separator__}))
    declared = getattr(callback, "callback_keys", None)
    return declared() if callable(declared) else None


class InStates(Filter):
    """A router's message root filter: the sender's FSM state is one its message handlers run in."""

    def __init__(self, states: frozenset[str | None]) -> None:
        self.states = states

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        return raw_state in self.states

    def __str__(self) -> str:
        return f"InStates({len(self.states)})"


def state_keys(callback: Any) -> frozenset[str | None] | None:
    """The raw FSM states a ``StateFilter`` admits, or None (not a state filter, or any state: ``*``)."""
    if not isinstance(callback, StateFilter):
        return None
    states: set[str | None] = set()
    for given in callback.states:
        allowed = (
            given.state
            if isinstance(given, State)
            else type(given)
            if isinstance(given, StatesGroup)
            else given
        )
        if isinstance(allowed, type) and issubclass(allowed, StatesGroup):
            states.update(allowed.__all_states_names__)
        elif allowed is None or (isinstance(allowed, str) and allowed != "*"):
            states.add(allowed)
        else:
            return None
    return frozenset(states)


def _handler_reads(handler: HandlerObject, read: Callable[[Any], T | None]) -> T | None:
    """A handler's filters must all pass: any one that says what it takes bounds the handler."""
    for event_filter in handler.filters or ():
        found = read(event_filter.callback)
        if found is not None:
            return found
    return None


def _router_reads(router: Router, observer: str, read: Callable[[Any], T | None], empty: T) -> T | None:
    """What every ``observer`` handler in ``router`` and below it takes (joined with ``|``); None if one
    of them may take anything."""
    total = empty
    for handler in router.observers[observer].handlers:
        found = _handler_reads(handler, read)
        if found is None:
            return None
        total = operator.or_(total, found)
    for sub in router.sub_routers:
        below = _router_reads(sub, observer, read, empty)
        if below is None:
            return None
        total = operator.or_(total, below)
    return total


def router_keys(router: Router) -> Keys | None:
    """The callback data the buttons of ``router`` and the routers below it may take."""
    return _router_reads(router, "callback_query", filter_keys, Keys())


def router_states(router: Router) -> frozenset[str | None] | None:
    """The FSM states the message handlers of ``router`` and the routers below it run in."""
    empty: frozenset[str | None] = frozenset()
    return _router_reads(router, "message", state_keys, empty)


def index(router: Router) -> None:
    """Give ``router`` and each router below it the root filters of what they take (where that is
    known). Call it once the tree is built: handlers added afterwards are not in the index."""
    keys = router_keys(router)
    if keys is not None:
        router.callback_query.filter(Accepts(keys))
    states = router_states(router)
    if states is not None:
        router.message.filter(InStates(states))
    for sub in router.sub_routers:
        index(sub)
