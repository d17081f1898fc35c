"""Money-desk callback data: the assignment carried in ``Adm.arg`` is bounded when parsed and every
packed value fits Telegram's 64 bytes."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.bot.callbacks import MAX_ID, Adm
from sigmatrade.bot.views.admin.unmatched import assignment, parse_assignment


@given(item=st.integers(1, MAX_ID), user=st.integers(1, MAX_ID), level=st.integers(1, 5))
def test_assignment_round_trips_and_fits(item: int, user: int, level: int) -> None:
    arg = assignment(user, level)
    assert parse_assignment(arg) == (user, level)
    for act in ("lvl", "asgok"):
        packed = Adm(sec="um", act=act, id=item, arg=arg).pack()
        assert len(packed.encode()) <= 64
        assert Adm.unpack(packed).arg == arg


@given(st.text(max_size=40))
def test_forged_assignments_are_refused_or_bounded(text: str) -> None:
    parsed = parse_assignment(text)
    if parsed is not None:
        user, level = parsed
        assert 1 <= user <= MAX_ID and 1 <= level <= 5


def test_specific_forgeries() -> None:
    for bad in (
        "",
        "1",
        "1-0",
        "1-6",
        "0-1",
        "-1-1",
        "1-1-1",
        "x-1",
        "9" * 20 + "-1",
        "9" * 19 + "-1",
        "1-01x",
    ):
        assert parse_assignment(bad) is None, bad


def _query(data: str) -> Any:
    from aiogram.types import CallbackQuery, User

    return CallbackQuery(
        id="1", from_user=User(id=1, is_bot=False, first_name="A"), chat_instance="c", data=data
    )


def _reference(route: Any, raw: str) -> bool:
    """What the route accepted before the text pre-check: unpack everything, then compare."""
    try:
        data = Adm.unpack(raw)
    except (ValueError, TypeError):
        return False
    if data.sec != route.sec or (route.acts and data.act not in route.acts):
        return False
    return 0 <= data.id <= MAX_ID and 0 <= data.page <= 1_000_000


@given(
    sec=st.sampled_from(["wd", "wdx", "w", "panel", ""]),
    act=st.sampled_from(["list", "view", "", "lis"]),
    id_=st.integers(-5, MAX_ID + 5),
    page=st.integers(-1, 1_000_001),
    tail=st.sampled_from(["", ":", ":x", "::"]),
)
def test_route_text_precheck_accepts_exactly_what_unpacking_accepts(
    sec: str, act: str, id_: int, page: int, tail: str
) -> None:
    import asyncio

    from sigmatrade.bot.admin_flow import AdmRoute

    raw = f"adm:{sec}:{act}:{id_}:{page}:{tail}"
    for route in (AdmRoute("wd", "list"), AdmRoute("panel"), AdmRoute("wd")):
        accepted = asyncio.run(route(_query(raw)))
        assert bool(accepted) == _reference(route, raw), (route, raw)
