"""FAQ screen. Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Nav
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.bot.views.common import confirmation_rule
from sigmatrade.domain.money import format_rate
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, code

Screen = tuple[Safe, InlineKeyboardMarkup]


def faq(
    t: Translator,
    snap: dict[str, Any],
    *,
    contract: str,
    mode: str,
    confirmations: int,
    explorer: str,
    back_to: str,
) -> Screen:
    wallet = snap.get("deposit.system_wallet_address")
    cap = snap["reward.level_caps_percent"][0]
    rule = confirmation_rule(t, mode, confirmations)
    text = t(
        "info.faq",
        wallet=code(wallet) if wallet else t("info.no_wallet"),
        contract=code(contract),
        rule=rule,
        cap=format_rate(cap) if cap is not None else "—",
    )
    builder = Keyboard()
    if wallet:
        builder.row(kb.url_button(t.raw("btn.explorer_wallet"), f"{explorer}/address/{wallet}"))
    builder.row(kb.button(t.raw("info.btn.instructions"), Nav(to="instructions").pack()))
    builder.row(*kb.back_row(t, back_to))
    return text, builder.as_markup()
