"""Profile and preferences screens (SPEC §5.6). Pure: data in, ``(Safe, markup)`` out."""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Fp, Nav, Reg, Set
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.bot.views.registration import contacts_line
from sigmatrade.domain.money import format_amount
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.services.profile import CycleProgress, MaskedContacts, ProfileData
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, code, link, progress_bar

Screen = tuple[Safe, InlineKeyboardMarkup]


def _money(t: Translator, value: Decimal) -> str:
    return format_amount(value, t.lang)


def _cycle(t: Translator, cycle: CycleProgress | None) -> Safe:
    if cycle is None:
        return Safe("")
    return t(
        "profile.cycle",
        bar=progress_bar(cycle.cells),
        percent=str(cycle.percent),
        accrued=_money(t, cycle.accrued),
        cap=_money(t, cycle.cap),
    )


def profile(t: Translator, data: ProfileData, *, explorer: str, tz: tzinfo) -> Screen:
    user = data.user
    none = t("profile.none")
    b = data.balances
    d1, d2, d3 = data.referrals_by_depth
    text = t(
        "profile.body",
        tg_id=code(user.telegram_id),
        username=f"@{user.username}" if user.username else none,
        name=user.first_name or none,
        language=t.raw(f"lang.name.{t.lang}"),
        wallet=code(user.wallet_address),
        explorer=link(f"{explorer}/address/{user.wallet_address}", t.raw("profile.explorer")),
        status=t("profile.status.verified" if user.is_verified else "profile.status.unverified"),
        registered=format_dt(user.created_at, t.lang, tz),
        available=_money(t, b.available),
        held=_money(t, b.held),
        earned=_money(t, b.earned),
        withdrawn=_money(t, b.withdrawn),
        deposited=_money(t, b.principal),
        levels=data.active_levels,
        cycle=_cycle(t, data.cycle),
        d1=d1,
        d2=d2,
        d3=d3,
        referrals=data.verified_referrals,
        contacts=contacts_line(t, data.contacts),
        link=link(data.referral_link, data.referral_link) if data.referral_link else code(user.referral_code),
    )
    builder = Keyboard()
    if not user.is_verified:
        builder.row(kb.button(t.raw("btn.verify"), Reg(action="verify").pack()))
    builder.row(kb.button(t.raw("btn.recover_finpass"), Fp(action="start").pack()))
    builder.row(*kb.back_row(t))
    return text, builder.as_markup()


def settings(t: Translator, *, notify: bool, contacts: MaskedContacts) -> Screen:
    text = t(
        "profile.settings.body",
        language=t.raw(f"lang.name.{t.lang}"),
        notify=t("profile.settings.on" if notify else "profile.settings.off"),
        contacts=contacts_line(t, contacts),
    )
    toggle = "profile.settings.btn.notify_off" if notify else "profile.settings.btn.notify_on"
    builder = Keyboard()
    builder.row(kb.button(t.raw("btn.language"), Nav(to="language").pack()))
    builder.row(kb.button(t.raw(toggle), Set(action="notify").pack()))
    builder.row(kb.button(t.raw("profile.settings.btn.contacts"), Set(action="contacts").pack()))
    builder.row(*kb.back_row(t))
    return text, builder.as_markup()


def settings_with_notice(t: Translator, notice: Safe, *, notify: bool, contacts: MaskedContacts) -> Screen:
    text, markup = settings(t, notify=notify, contacts=contacts)
    return Safe(f"{notice}\n\n{text}"), markup


def contacts_prompt(t: Translator, current: MaskedContacts) -> Screen:
    text = t("profile.settings.contacts_prompt", current=contacts_line(t, current))
    return text, kb.cancel_only(t, to="settings")


def cancel_markup(t: Translator) -> InlineKeyboardMarkup:
    return kb.cancel_only(t, to="settings")
