"""Welcome, main menu, help, instructions and language screens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Fp, Nav
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.domain.money import format_amount, format_rate
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, code

Screen = tuple[Safe, InlineKeyboardMarkup]


def _rates(values: list[Decimal]) -> str:
    return " / ".join(f"{format_rate(v)}%" for v in values)


def welcome(
    t: Translator, snap: dict[str, Any], *, referrer: str | None = None, invalid_ref: bool = False
) -> Screen:
    site = t("welcome.site", url=snap["site.url"]) if snap.get("site.url") else Safe("")
    if referrer:
        referral = t("welcome.ref_valid", name=referrer)
    elif invalid_ref:
        referral = t("welcome.ref_invalid")
    else:
        referral = Safe("")
    text = t("welcome.guest", rates=_rates(snap["referral.rates"]), site=Safe(site), referral=Safe(referral))
    return text, kb.welcome(t)


def main_menu(t: Translator, *, verified: bool, is_admin: bool, greeting: Safe | None = None) -> Screen:
    text = t("menu.title")
    if not verified:
        text = Safe(text + t("menu.verify_hint"))
    if greeting:
        text = Safe(f"{greeting}\n\n{text}")
    return text, kb.main_menu(t, verified=verified, is_admin=is_admin)


def help_screen(t: Translator, snap: dict[str, Any], *, registered: bool) -> Screen:
    amounts = snap["deposit.level_amounts"]
    refs = snap["deposit.level_required_referrals"]
    levels = "\n".join(
        t("help.level_line", level=i + 1, amount=format_amount(amounts[i], t.lang), refs=refs[i])
        for i in range(5)
    )
    rates = snap["referral.rates"]
    cap = snap["reward.level_caps_percent"][0]
    email = snap.get("site.support_email") or ""
    support = t("help.support", email=t("help.support_email", email=email) if email else Safe(""))
    site = t("welcome.site", url=snap["site.url"]) if snap.get("site.url") else Safe("")
    text = t(
        "help.body",
        levels=Safe(levels),
        r1=format_rate(rates[0]),
        r2=format_rate(rates[1]),
        r3=format_rate(rates[2]),
        cap=format_rate(cap) if cap is not None else "—",
        support=support,
        site=site,
    )
    builder = Keyboard()
    builder.row(kb.button(t.raw("info.btn.faq"), Nav(to="faq").pack()))
    if registered:
        builder.row(kb.button(t.raw("btn.recover_finpass"), Fp(action="start").pack()))
    builder.row(kb.button(t.raw("btn.menu"), Nav(to="menu").pack()))
    return text, builder.as_markup()


def confirmation_rule(t: Translator, mode: str, confirmations: int) -> Safe:
    """When a deposit counts as confirmed, in words (N blocks or the finalized block)."""
    return t("info.rule.finalized") if mode == "finalized" else t("info.rule.blocks", n=confirmations)


def instructions(
    t: Translator, snap: dict[str, Any], *, contract: str, mode: str, confirmations: int, explorer: str
) -> Screen:
    wallet = snap.get("deposit.system_wallet_address")
    cap = snap["reward.level_caps_percent"][0]
    text = t(
        "instructions.body",
        contract=code(contract),
        wallet=code(wallet) if wallet else t("instructions.no_wallet"),
        rule=confirmation_rule(t, mode, confirmations),
        cap=format_rate(cap) if cap is not None else "—",
    )
    builder = Keyboard()
    if wallet:
        builder.row(kb.url_button(t.raw("btn.explorer_wallet"), f"{explorer}/address/{wallet}"))
    builder.row(*kb.back_row(t))
    return text, builder.as_markup()


def language(t: Translator, *, back_to: str) -> Screen:
    return t("lang.title", current=t.raw(f"lang.name.{t.lang}")), kb.languages(t, back_to)
