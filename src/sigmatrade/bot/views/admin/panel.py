"""The admin panel: attention counts and one button per screen the admin's role may open.

Screens contribute their button from their router module (``PANEL = (PanelButton(...),)``); the
registry collects them, so a screen that is not built has no button."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Adm, Nav
from sigmatrade.domain.enums import ROLE_RANK, AdminRole
from sigmatrade.services.admin.panel import Attention
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

Screen = tuple[Safe, InlineKeyboardMarkup]


@dataclass(frozen=True)
class PanelButton:
    order: int  # position on the panel (SPEC §5.8 order: withdrawals 10 … stats 180)
    sec: str  # the ``Adm.sec`` the button opens (``Adm(sec=sec)``)
    label: str  # text key
    role: AdminRole  # the role of the screen's entry handler


def panel(t: Translator, role: str, counts: Attention, buttons: tuple[PanelButton, ...]) -> Screen:
    text = t(
        "adm.panel.title",
        role=t.raw(f"adm.role.{role}"),
        withdrawals=counts.withdrawals,
        unmatched=counts.unmatched,
        dlq=counts.dlq,
        finpass=counts.finpass,
        tickets=counts.tickets,
    )
    return text, _keyboard(t.lang, role, buttons)


# The panel's keyboard depends on the language, the role and the buttons only: each variant is built
# once (like the home keyboards, ``bot/keyboards.py``) and never mutated after.
@functools.cache
def _keyboard(lang: str, role: str, buttons: tuple[PanelButton, ...]) -> InlineKeyboardMarkup:
    t = Translator(lang)
    rank = ROLE_RANK[AdminRole(role)]
    visible = sorted((b for b in buttons if ROLE_RANK[b.role] <= rank), key=lambda b: (b.order, b.sec))
    rows: list[list[InlineKeyboardButton]] = []
    for b in visible:
        item = kb.button(t.raw(b.label), Adm(sec=b.sec).pack())
        if rows and len(rows[-1]) < 2:
            rows[-1].append(item)
        else:
            rows.append([item])
    rows.append([kb.button(t.raw("adm.btn.refresh"), Adm(sec="panel").pack())])
    rows.append([kb.button(t.raw("btn.menu"), Nav(to="menu").pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_to_panel(t: Translator) -> list[InlineKeyboardButton]:
    return [kb.button(t.raw("adm.btn.panel"), Adm(sec="panel").pack())]
