"""Registration, verification and contacts screens (SPEC §5.5). Pure: data in, ``(Safe, markup)`` out."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Nav, Reg
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.domain.addresses import short
from sigmatrade.domain.contacts import ContactsProblem, shorten_token
from sigmatrade.domain.money import format_rate
from sigmatrade.services import registration as svc
from sigmatrade.services.profile import MaskedContacts
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, code, link

Screen = tuple[Safe, InlineKeyboardMarkup]


def _markup(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = Keyboard()
    for row in rows:
        builder.row(*(kb.button(label, data) for label, data in row))
    return builder.as_markup()


def _lines(*parts: str) -> Safe:
    return Safe("\n\n".join(p for p in parts if p))


def cancel_markup(t: Translator) -> InlineKeyboardMarkup:
    """Cancel of the wallet / case / verification steps: back to the menu (or the welcome screen)."""
    return kb.cancel_only(t)


def contacts_cancel_markup(t: Translator) -> InlineKeyboardMarkup:
    """Cancel of the registration contacts step: the same as Skip (the Finished screen follows)."""
    return _markup([(t.raw("btn.cancel"), Reg(action="skip").pack())])


# -------------------------------------------------------------------------------------------- start
def refused(t: Translator, err: svc.RegistrationError) -> Screen:
    """A refusal that ends the flow (the Register button, the registration transaction)."""
    if err.code == svc.BLACKLISTED:
        text = t("err.blacklisted")
    elif err.code == svc.RATE_LIMITED:
        minutes = max(1, math.ceil(int(err.params.get("wait_seconds", 60)) / 60))
        text = t("err.action_limited", wait=t.plain("time.minutes", n=minutes))
    elif err.code == svc.ALREADY_REGISTERED:
        text = t("reg.already_registered")
    elif err.code in (svc.CONFLICT, svc.CYCLE):
        text = t(f"reg.err.{err.code}")
    else:
        text = t("reg.err.no_code")
    return text, kb.menu_only(t)


def wallet_prompt(t: Translator) -> Screen:
    return t("reg.wallet_prompt"), cancel_markup(t)


def wallet_error(t: Translator, err: svc.RegistrationError) -> Screen:
    key = f"reg.err.{err.code}" if err.code in svc.WALLET_ERRORS else "reg.err.format"
    return _lines(t(key), t("reg.err.retry")), cancel_markup(t)


def case_warning(t: Translator, entered: str, checksum: str) -> Screen:
    text = t("reg.case_warning", entered=code(entered), checksum=code(checksum))
    markup = _markup(
        [(t.raw("reg.btn.continue"), Reg(action="confirm_case").pack())],
        [(t.raw("reg.btn.reenter"), Reg(action="reenter").pack())],
        [(t.raw("btn.cancel"), Nav(to="menu").pack())],
    )
    return text, markup


def registered(t: Translator, wallet: str, finpass: str, referrer: str | None, invalid: bool) -> Screen:
    if referrer is not None:
        referral = t("reg.referral_valid", name=referrer)
    elif invalid:
        referral = t("reg.referral_invalid")
    else:
        referral = Safe("")
    text = t("reg.registered", wallet=code(short(wallet)), finpass=code(finpass), referral=referral)
    return text, _markup([(t.raw("btn.verify"), Reg(action="verify").pack())])


# ------------------------------------------------------------------------------------- verification
def verify_prompt(t: Translator, attempts: int) -> Screen:
    markup = _markup(
        [(t.raw("reg.btn.reissue"), Reg(action="reissue").pack())],
        [(t.raw("reg.btn.verify_later"), Nav(to="menu").pack())],
    )
    return t("reg.verify_prompt", attempts=attempts), markup


def reissued(t: Translator, finpass: str) -> Screen:
    return t("reg.reissued", finpass=code(finpass)), _markup(
        [(t.raw("btn.verify"), Reg(action="verify").pack())]
    )


def verify_wrong(t: Translator, attempts: int) -> Screen:
    return t("reg.verify_wrong", attempts=attempts), cancel_markup(t)


def verify_format(t: Translator) -> Screen:
    return t("reg.verify_format"), cancel_markup(t)


def verify_locked(t: Translator, until: datetime | None, now: datetime) -> Screen:
    seconds = (until - now).total_seconds() if until is not None else 60
    minutes = max(1, math.ceil(seconds / 60))
    markup = _markup(
        [(t.raw("reg.btn.reissue"), Reg(action="reissue").pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )
    return t("reg.verify_locked", wait=t.plain("time.minutes", n=minutes)), markup


def already_verified(t: Translator) -> Screen:
    return t("reg.already_verified"), kb.menu_only(t)


def verified(t: Translator) -> Screen:
    markup = _markup(
        [(t.raw("reg.btn.add_contacts"), Reg(action="contacts").pack())],
        [(t.raw("reg.btn.skip"), Reg(action="skip").pack())],
    )
    return t("reg.verified"), markup


def _rates(rates: list[Decimal]) -> dict[str, str]:
    return {f"r{i + 1}": format_rate(rates[i]) for i in range(3)}


def notify_new_referral(t: Translator, name: str) -> Safe:
    return t("reg.notify.new_referral", name=name)


def notify_verified(t: Translator, name: str, rates: list[Decimal]) -> Safe:
    return t("reg.notify.referral_verified", name=name, **_rates(rates))


# ----------------------------------------------------------------------------------------- contacts
def contacts_prompt(t: Translator) -> Screen:
    return t("reg.contacts_prompt"), contacts_cancel_markup(t)


def contacts_error(t: Translator, problem: ContactsProblem, markup: InlineKeyboardMarkup) -> Screen:
    key = f"reg.contacts.err.{problem.code.value}"
    token = shorten_token(problem.token) if problem.token else ""
    return _lines(t(key, token=token), t("reg.contacts.err.retry")), markup


def contacts_line(t: Translator, masked: MaskedContacts) -> Safe:
    """``phone +49••67, e-mail j•••@example.org`` or ``not set`` (masked values, escaped)."""
    parts = []
    if masked.phone:
        parts.append(t("reg.contacts.phone", phone=code(masked.phone)))
    if masked.email:
        parts.append(t("reg.contacts.email", email=code(masked.email)))
    return Safe(", ".join(parts)) if parts else t("reg.contacts.none")


def finished(
    t: Translator, link_url: str | None, code_value: str, rates: list[Decimal], saved: MaskedContacts | None
) -> Screen:
    shown = link(link_url, link_url) if link_url else code(code_value)
    text = t("reg.finished", link=shown, **_rates(rates))
    if saved is not None:
        text = _lines(t("reg.contacts_saved", contacts=contacts_line(t, saved)), text)
    return text, kb.menu_only(t)


def unexpected(t: Translator, step: str, markup: InlineKeyboardMarkup | None = None) -> Screen:
    """Input the current step cannot use (``step``: wallet, case, verify, contacts)."""
    return t(f"reg.unexpected.{step}"), markup or cancel_markup(t)
