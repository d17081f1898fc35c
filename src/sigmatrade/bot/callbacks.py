"""Typed callback data (SPEC §5.4). Short prefixes; every packed value fits in 64 bytes (tested).

Every number parsed from callback data is bounded HERE, the one place: an object id lies in
0 … ``MAX_ID`` (the database's BIGINT; 0 = none), any other number in the BIGINT range. A forged
value outside fails to unpack, so no handler matches it and the fallback router answers with the
standard "outdated button" alert: it never reaches SQL.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from sigmatrade.bot.routing import Exact
from sigmatrade.domain.ids import MAX_ID  # the largest id any field may carry: BIGINT (tested for packing)

Id = Annotated[int, Field(ge=0, le=MAX_ID)]  # an object id (0: none)
Num = Annotated[int, Field(ge=-MAX_ID - 1, le=MAX_ID)]  # pages, levels, depths (clamped by handlers)


class Nav(CallbackData, prefix="nav"):
    to: str  # menu, profile, deposits, withdraw, referrals, history, support, help, instructions, settings, language


class Lang(CallbackData, prefix="lang"):
    code: str


class Reg(CallbackData, prefix="reg"):
    action: str  # start, confirm_case, reenter, verify, reissue, contacts, skip


class Dep(CallbackData, prefix="dep"):
    action: str  # levels, level, activate, status, pending, history, cancel, cancel_ok
    level: Num = 0
    id: Id = 0
    page: Num = 0


class Wd(CallbackData, prefix="wd"):
    action: str  # new, all, confirm, cancel, cancel_ok, list, abort
    id: Id = 0
    page: Num = 0


class Hist(CallbackData, prefix="hist"):
    kind: str  # all, deposits, rewards, referral, payouts
    page: Num = 1


class Ref(CallbackData, prefix="ref"):
    action: str  # home, link, list, comms, board
    depth: Num = 0
    page: Num = 1
    metric: str = ""


class Sup(CallbackData, prefix="sup"):
    action: str  # home, new, cat, send, discard, view, add, close, history
    id: Id = 0
    cat: str = ""
    page: Num = 1


class Fp(CallbackData, prefix="fp"):
    action: str  # start, note_skip, confirm, confirm_new, again


class Set(CallbackData, prefix="set"):
    action: str  # contacts, notify


class Pg(CallbackData, prefix="pg"):
    """Page indicator button (no-op)."""

    n: Num = 0


class Adm(CallbackData, prefix="adm"):
    sec: str
    act: str = ""
    id: Id = 0
    page: Num = 0
    arg: str = ""


FACTORIES: tuple[type[CallbackData], ...] = (Nav, Lang, Reg, Dep, Wd, Hist, Ref, Sup, Fp, Set, Pg, Adm)


def nav_to(target: str) -> Exact:
    """The filter of one navigation button: exactly ``Nav(to=target)`` (a string comparison; the
    routing index reads it as one exact key, bot/routing.py)."""
    return Exact(Nav(to=target).pack())
