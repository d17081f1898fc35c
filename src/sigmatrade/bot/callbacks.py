"""Typed callback data (SPEC §5.4). Short prefixes; every packed value fits in 64 bytes (tested)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

MAX_ID = 2**63 - 1  # the largest id any field may carry (tested for packing)


class Nav(CallbackData, prefix="nav"):
    to: str  # menu, profile, deposits, withdraw, referrals, history, support, help, instructions, settings, language


class Lang(CallbackData, prefix="lang"):
    code: str


class Reg(CallbackData, prefix="reg"):
    action: str  # start, confirm_case, reenter, verify, contacts, skip


class Dep(CallbackData, prefix="dep"):
    action: str  # levels, level, activate, status, pending, history, cancel, cancel_ok
    level: int = 0
    id: int = 0
    page: int = 0


class Wd(CallbackData, prefix="wd"):
    action: str  # new, all, confirm, cancel, cancel_ok, list, abort
    id: int = 0
    page: int = 0


class Hist(CallbackData, prefix="hist"):
    kind: str  # all, deposits, rewards, referral, payouts
    page: int = 1


class Ref(CallbackData, prefix="ref"):
    action: str  # home, link, list, comms, board
    depth: int = 0
    page: int = 1
    metric: str = ""


class Sup(CallbackData, prefix="sup"):
    action: str  # home, new, cat, send, discard, view, add, close, history
    id: int = 0
    cat: str = ""
    page: int = 1


class Fp(CallbackData, prefix="fp"):
    action: str  # start, note_skip, confirm, confirm_new


class Set(CallbackData, prefix="set"):
    action: str  # contacts, notify


class Pg(CallbackData, prefix="pg"):
    """Page indicator button (no-op)."""

    n: int = 0


class Adm(CallbackData, prefix="adm"):
    sec: str
    act: str = ""
    id: int = 0
    page: int = 0
    arg: str = ""


FACTORIES: tuple[type[CallbackData], ...] = (Nav, Lang, Reg, Dep, Wd, Hist, Ref, Sup, Fp, Set, Pg, Adm)
