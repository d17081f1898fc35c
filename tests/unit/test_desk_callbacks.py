"""Money-desk callback data: the assignment carried in ``Adm.arg`` is bounded when parsed and every
packed value fits Telegram's 64 bytes."""

from __future__ import annotations

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
