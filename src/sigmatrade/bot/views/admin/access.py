"""Admin login and session screens (SPEC §5.7.3–§5.7.4)."""

from __future__ import annotations

import math
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

Screen = tuple[Safe, InlineKeyboardMarkup]


def minutes_until(until: datetime, now: datetime) -> int:
    """Remaining whole minutes, rounded up (never 0 while something remains)."""
    return max(1, math.ceil((until - now).total_seconds() / 60))


def role_name(t: Translator, role: str) -> str:
    return t.raw(f"adm.role.{role}")


def prompt(t: Translator, attempts: int) -> Screen:
    return t("adm.login.prompt", attempts=attempts), kb.cancel_only(t)


def wrong(t: Translator, attempts: int) -> Screen:
    return t("adm.login.wrong", attempts=attempts), kb.cancel_only(t)


def malformed(t: Translator, attempts: int) -> Screen:
    return t("adm.login.malformed", attempts=attempts), kb.cancel_only(t)


def unexpected(t: Translator) -> Screen:
    return t("adm.login.unexpected"), kb.cancel_only(t)


def locked(t: Translator, until: datetime, now: datetime) -> Screen:
    return t("adm.login.locked", minutes=minutes_until(until, now)), kb.menu_only(t)


def no_key(t: Translator) -> Screen:
    return t("adm.login.no_key"), kb.menu_only(t)


def gone(t: Translator) -> Screen:
    return t("adm.login.gone"), kb.menu_only(t)


def logged_out(t: Translator) -> Screen:
    return t("adm.logout.done"), kb.menu_only(t)


def session_info(t: Translator, role: str, expires_at: datetime, now: datetime) -> Screen:
    return t(
        "adm.session.info", role=role_name(t, role), minutes=minutes_until(expires_at, now)
    ), kb.menu_only(t)


def lockout_alert(t: Translator, name: str, telegram_id: int, until: str) -> Safe:
    return t("adm.alert.locked", admin=name, tg=telegram_id, until=until)
