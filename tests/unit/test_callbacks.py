"""Every callback factory packs its longest possible values in at most 64 bytes; a router's
``Prefixed`` filter lets through exactly the data its factories unpack."""

from __future__ import annotations

import asyncio

from aiogram.types import CallbackQuery, User
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.bot.callbacks import (
    FACTORIES,
    MAX_ID,
    Adm,
    Dep,
    Fp,
    Hist,
    Lang,
    Nav,
    Pg,
    Prefixed,
    Ref,
    Reg,
    Set,
    Sup,
    Wd,
)

LONGEST = [
    Nav(to="instructions"),
    Lang(code="ru"),
    Reg(action="confirm_case"),
    Dep(action="cancel_ok", level=5, id=MAX_ID, page=9999),
    Wd(action="cancel_ok", id=MAX_ID, page=9999),
    Hist(kind="referral", page=99999),
    Ref(action="board", depth=3, page=99999, metric="earnings"),
    Sup(action="history", id=MAX_ID, cat="withdrawals", page=9999),
    Set(action="contacts"),
    Fp(action="confirm_new"),
    Pg(n=99999),
    Adm(sec="dlq", act="resolve_ok", id=MAX_ID, page=9999, arg="nonce_conflict"),
]


def test_longest_values_fit() -> None:
    assert {type(cb) for cb in LONGEST} == set(FACTORIES)
    for cb in LONGEST:
        packed = cb.pack()
        assert len(packed.encode()) <= 64, (packed, len(packed.encode()))
        assert type(cb).unpack(packed) == cb


@given(st.integers(min_value=0, max_value=MAX_ID), st.integers(min_value=0, max_value=9999))
def test_adm_ids_fit(obj_id: int, page: int) -> None:
    packed = Adm(sec="um", act="assign_ok", id=obj_id, page=page, arg="l5").pack()
    assert len(packed.encode()) <= 64


def _query(data: str) -> CallbackQuery:
    return CallbackQuery(
        id="1", from_user=User(id=1, is_bot=False, first_name="a"), chat_instance="c", data=data
    )


@given(st.sampled_from(LONGEST), st.sets(st.sampled_from(FACTORIES), min_size=1))
def test_prefixed_matches_exactly_the_data_its_factories_unpack(cb: object, factories: set[type]) -> None:
    packed = cb.pack()  # type: ignore[attr-defined]
    expected = any(_unpacks(factory, packed) for factory in factories)
    assert asyncio.run(Prefixed(*factories)(_query(packed))) is expected


@given(st.text(max_size=70))
def test_prefixed_refuses_data_no_factory_packed(data: str) -> None:
    matched = asyncio.run(Prefixed(*FACTORIES)(_query(data)))
    if matched:  # only a known prefix gets through (the handlers' own filters still unpack it)
        assert data.partition(":")[0] in {f.__prefix__ for f in FACTORIES}


def _unpacks(factory: type, packed: str) -> bool:
    try:
        factory.unpack(packed)  # type: ignore[attr-defined]
    except (ValueError, TypeError):
        return False
    return True
