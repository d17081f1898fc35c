"""Every callback factory packs its longest possible values in at most 64 bytes."""

from __future__ import annotations

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
