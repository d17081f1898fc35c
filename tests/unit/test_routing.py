"""The routing index (bot/routing.py) only ever skips a router none of whose handlers could take the update:
whatever a handler's filter accepts (callback data, an FSM state), every router above it lets through."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, User
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.bot.admin_flow import AdmRoute
from sigmatrade.bot.callbacks import FACTORIES, Adm, Dep, Nav, nav_to
from sigmatrade.bot.factory import routers
from sigmatrade.bot.routing import Accepts, Exact, InStates, Keys, filter_keys, index, router_keys, state_keys
from sigmatrade.bot.states import Registration, Withdrawal

WORDS = ["", "menu", "deposits", "levels", "level", "new", "users", "view", "ok", "a:b", "nav", "adm"]


def _query(data: str) -> CallbackQuery:
    return CallbackQuery(
        id="1", from_user=User(id=1, is_bot=False, first_name="a"), chat_instance="c", data=data
    )


def _passes(callback: Any, data: str) -> bool:
    return bool(asyncio.run(callback(_query(data))))


def _roots(router: Router) -> list[Accepts]:
    return [
        f.callback for f in router.callback_query._handler.filters or () if isinstance(f.callback, Accepts)
    ]


def _handlers(
    router: Router, observer: str = "callback_query", path: tuple[Router, ...] = ()
) -> Iterator[tuple[tuple[Router, ...], HandlerObject]]:
    """Every ``observer`` handler in ``router`` and below it, with the routers on its way."""
    path = (*path, router)
    for handler in router.observers[observer].handlers:
        yield path, handler
    for sub in router.sub_routers:
        yield from _handlers(sub, observer, path)


async def _noop(query: CallbackQuery) -> None:
    return None


@given(
    st.sampled_from(FACTORIES), st.one_of(st.text(max_size=40), st.sampled_from([cb + ":" for cb in WORDS]))
)
def test_a_callback_data_filter_accepts_only_data_its_prefix_key_admits(factory: Any, tail: str) -> None:
    data = f"{factory.__prefix__}{tail}" if tail.startswith(":") else tail
    keys = filter_keys(CallbackQueryFilter(callback_data=factory))
    assert keys is not None
    if _passes(CallbackQueryFilter(callback_data=factory), data):
        assert keys.admits(data)


@given(
    st.sampled_from(WORDS[1:]),
    st.lists(st.sampled_from(WORDS[1:]), max_size=3),
    st.sampled_from(WORDS[1:]),
    st.sampled_from(WORDS[1:]),
)
def test_an_admin_route_accepts_only_data_its_keys_admit(
    sec: str, acts: list[str], data_sec: str, act: str
) -> None:
    if ":" in sec or ":" in data_sec or ":" in act or any(":" in a for a in acts):
        return  # packing refuses the separator in a value
    route = AdmRoute(sec, *acts)
    keys = route.callback_keys()
    for data in (Adm(sec=data_sec, act=act, id=3, page=2).pack(), *route.examples()):
        if _passes(route, data):
            assert keys.admits(data)


@given(
    st.text(max_size=30), st.sets(st.text(max_size=6), max_size=3), st.sets(st.text(max_size=6), max_size=3)
)
def test_accepts_is_keys_admits(data: str, exact: set[str], prefixes: set[str]) -> None:
    keys = Keys(frozenset(exact), frozenset(prefixes))
    assert _passes(Accepts(keys), data) is keys.admits(data)


def test_a_router_with_a_handler_that_says_nothing_is_not_indexed_nor_any_router_above_it() -> None:
    top, keyed, open_ended, empty = (
        Router(name="top"),
        Router(name="keyed"),
        Router(name="open"),
        Router(name="e"),
    )
    keyed.callback_query.register(_noop, nav_to("menu"))
    keyed.callback_query.register(_noop, StateFilter("s"), Dep.filter())
    open_ended.callback_query.register(_noop, StateFilter("s"))  # any button in a state
    top.include_routers(keyed, open_ended, empty)
    index(top)
    assert _roots(top) == [] and _roots(open_ended) == []
    (keyed_root,) = _roots(keyed)
    assert keyed_root.keys == Keys(frozenset({Nav(to="menu").pack()}), frozenset({"dep:"}))
    (empty_root,) = _roots(empty)  # no callback handler: no button enters it
    assert not _passes(empty_root, "nav:menu")
    assert router_keys(open_ended) is None


def test_the_bot_routers_are_indexed_and_never_hide_a_handler_from_data_it_accepts() -> None:
    built = routers()
    indexed = {router.name for router in built if _roots(router)}
    assert indexed == {router.name for router in built} - {"fallback"}  # the fallback takes anything
    corpus = {
        cb.pack() for cb in (Nav(to="menu"), Dep(action="levels"), Adm(sec="wd", act="view", id=1, page=1))
    }
    for _, handler in _handlers_of(built):
        for event_filter in handler.filters or ():
            callback = event_filter.callback
            if isinstance(callback, Exact):
                corpus.add(callback.packed)
            elif isinstance(callback, AdmRoute):
                corpus.update(callback.examples())
    corpus |= _packed_by_the_views()
    assert len(corpus) > 200
    accepted = asyncio.run(_accepted(built, corpus))
    for path, handler, taken in accepted:
        assert taken, handler.callback.__qualname__  # not vacuous: every button handler took some data
        for data in taken:
            for router in path:
                for root in _roots(router):
                    assert root.keys.admits(data), (router.name, data)
    assert sum(len(taken) for _, _, taken in accepted) >= 150


async def _accepted(
    built: list[Router], corpus: set[str]
) -> list[tuple[tuple[Router, ...], HandlerObject, set[str]]]:
    """Each button handler with a filter that says what it takes, and the data of ``corpus`` its filters
    of that kind accept (state filters and the like are not asked)."""
    out = []
    for path, handler in _handlers_of(built):
        keyed = [f.callback for f in handler.filters or () if filter_keys(f.callback) is not None]
        if not keyed:
            continue
        taken = set()
        for data in corpus:
            query = _query(data)
            if all([await callback(query) for callback in keyed]):
                taken.add(data)
        out.append((path, handler, taken))
    return out


def _packed_by_the_views() -> set[str]:
    """Data of every factory with its first text field set to each string literal of the bot's routers
    and views (the values handlers compare with, ``F.action == "levels"``), numbers left at 0."""
    bot = Path(__file__).resolve().parents[2] / "src" / "sigmatrade" / "bot"
    words = {w for f in bot.rglob("*.py") for w in re.findall(r'"([a-z_]{1,20})"', f.read_text())}
    packed: set[str] = set()
    for factory in FACTORIES:
        text_fields = [name for name, field in factory.model_fields.items() if field.annotation is str]
        if factory is Adm:
            continue
        if not text_fields:
            packed.add(factory().pack())
            continue
        for word in words:
            values = {name: "" for name in text_fields} | {text_fields[0]: word}
            packed.add(factory(**values).pack())
    return packed


def _handlers_of(built: list[Router]) -> Iterator[tuple[tuple[Router, ...], HandlerObject]]:
    for router in built:
        yield from _handlers(router)


async def _tried(built: list[Router], observer: str, event: Any, kwargs: dict[str, Any]) -> tuple[str, int]:
    """aiogram's propagation of one event through ``built`` (root filters, handlers' filters, sub-routers
    in order; middlewares and handlers not run): the handler reached, and how many were tried."""
    tried = 0

    async def visit(router: Router) -> str | None:
        nonlocal tried
        entered, _ = await router.observers[observer]._handler.check(event, **kwargs)
        if not entered:
            return None
        for handler in router.observers[observer].handlers:
            tried += 1
            if (await handler.check(event, **kwargs))[0]:
                return f"{router.name}.{handler.callback.__name__}"
        for sub in router.sub_routers:
            if (found := await visit(sub)) is not None:
                return found
        return None

    for router in built:
        if (found := await visit(router)) is not None:
            return found, tried
    return "", tried


@pytest.mark.parametrize("target", ["menu", "deposits", "profile", "history", "faq", "referrals", "withdraw"])
def test_a_navigation_button_is_tried_against_its_own_handler_only(target: str) -> None:
    query = _query(Nav(to=target).pack())  # a guest's button: no state, no admin row
    kwargs = {"user": None, "admin": None, "raw_state": None, "event_from_user": query.from_user}
    reached, tried = asyncio.run(_tried(routers(), "callback_query", query, kwargs))
    assert reached and tried == 1, (reached, tried)


def _state_roots(router: Router) -> list[InStates]:
    return [f.callback for f in router.message._handler.filters or () if isinstance(f.callback, InStates)]


class Form(StatesGroup):
    one = State()
    two = State()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((Form.one,), {"Form:one"}),
        ((Form,), {"Form:one", "Form:two"}),
        ((Form(),), {"Form:one", "Form:two"}),
        ((None, "Form:two"), {None, "Form:two"}),
        (("*",), None),
        ((Form.one, State("*")), None),
    ],
)
def test_a_state_filter_is_read_as_the_states_it_admits(
    given: tuple[Any, ...], expected: set[Any] | None
) -> None:
    keys = state_keys(StateFilter(*given))
    assert keys == (frozenset(expected) if expected is not None else None)
    if keys is not None:  # the filter itself agrees, state by state
        for raw in ("Form:one", "Form:two", None, "Other:x"):
            assert bool(asyncio.run(StateFilter(*given)(_query("x"), raw_state=raw))) is (raw in keys)


def test_the_bot_routers_never_hide_a_message_handler_from_a_state_it_runs_in() -> None:
    built = routers()
    assert {r.name for r in built if _state_roots(r)} >= {
        "registration",
        "withdrawals",
        "recovery",
        "support",
    }
    checked = 0
    for router in built:
        for path, handler in _handlers(router, "message"):
            states = next(
                (s for f in handler.filters or () if (s := state_keys(f.callback)) is not None), None
            )
            for raw in states or ():
                checked += 1
                for above in path:
                    for root in _state_roots(above):
                        assert asyncio.run(root(_query("x"), raw_state=raw)), (above.name, raw)  # type: ignore[arg-type]
    assert checked > 30


@pytest.mark.parametrize(
    ("text", "state", "reached"),
    [
        ("12.5", Withdrawal.amount.state, "withdrawals.amount_entered"),
        ("0x" + "ab" * 20, Registration.wallet.state, "registration.wallet_entered"),
        ("hello", None, "fallback.unknown_message"),
    ],
)
def test_a_text_in_an_input_state_skips_the_routers_of_other_states(
    text: str, state: str | None, reached: str
) -> None:
    user = User(id=1, is_bot=False, first_name="a")
    bot = Bot("42:TEST")  # Command filters read the bot's username; nothing is sent
    bot._me = User(id=42, is_bot=True, first_name="bot", username="sigmatrade_bot")
    message = Message(message_id=1, date=0, chat=Chat(id=1, type="private"), from_user=user, text=text).as_(
        bot
    )
    kwargs = {"user": object(), "admin": None, "raw_state": state, "event_from_user": user, "bot": bot}
    found, tried = asyncio.run(_tried(routers(), "message", message, kwargs))
    assert found == reached
    assert tried <= 8, tried  # commands of the common and info routers, then its own router's handlers


class Ping(CallbackData, prefix="ping"):
    pass


def test_a_callback_data_without_fields_is_keyed_by_its_bare_prefix() -> None:
    router = Router(name="ping")
    router.callback_query.register(_noop, Ping.filter())
    index(router)
    (root,) = _roots(router)
    assert _passes(Ping.filter(), Ping().pack()) and _passes(root, Ping().pack())
