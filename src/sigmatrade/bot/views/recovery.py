"""Financial password recovery screens. Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out."""

from __future__ import annotations

import math
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Fp, Nav
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.db.models import FinpassRecovery
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

Screen = tuple[Safe, InlineKeyboardMarkup]


def _markup(*rows: tuple[str, str]) -> InlineKeyboardMarkup:
    builder = Keyboard()
    for label, data in rows:
        builder.row(kb.button(label, data))
    return builder.as_markup()


def cancel_markup(t: Translator) -> InlineKeyboardMarkup:
    return _markup((t.raw("btn.cancel"), Nav(to="help").pack()))


def confirm_new_markup(t: Translator) -> InlineKeyboardMarkup:
    """The button under the one-time password message."""
    return _markup((t.raw("fp.btn.confirm_new"), Fp(action="confirm_new").pack()))


def status_label(t: Translator, status: str) -> str:
    return t.raw(f"fp.status.{status}")


def explain(t: Translator) -> Screen:
    return t("fp.explain"), _markup(
        (t.raw("fp.btn.skip"), Fp(action="note_skip").pack()),
        (t.raw("btn.cancel"), Nav(to="help").pack()),
    )


def confirm_screen(t: Translator, note: str | None) -> Screen:
    note_line = t("fp.note_line", note=note) if note else Safe("")
    return t("fp.confirm_screen", note=note_line), _markup(
        (t.raw("fp.btn.confirm"), Fp(action="confirm").pack()),
        (t.raw("btn.cancel"), Nav(to="help").pack()),
    )


def existing(t: Translator, request: FinpassRecovery) -> Screen:
    text = t("fp.existing", id=request.id, status=status_label(t, request.status))
    rows: list[tuple[str, str]] = []
    if request.status == RecoveryStatus.SENT:
        text = Safe(text + t("fp.existing_sent_hint"))
        rows.append((t.raw("fp.btn.confirm_new"), Fp(action="confirm_new").pack()))
        rows.append((t.raw("fp.btn.again"), Fp(action="again").pack()))
    rows.append((t.raw("btn.back"), Nav(to="help").pack()))
    return text, _markup(*rows)


def asked_again(t: Translator, request: FinpassRecovery) -> Screen:
    return t("fp.asked_again", id=request.id), kb.menu_only(t)


def created(t: Translator, request: FinpassRecovery, *, new: bool) -> Screen:
    if new:
        text = t("fp.created", id=request.id)
    else:
        text = t("fp.already", id=request.id, status=status_label(t, request.status))
    return text, kb.menu_only(t)


def confirm_new_prompt(t: Translator, attempts: int) -> Screen:
    return t("fp.confirm_new_prompt", attempts=attempts), cancel_markup(t)


def wrong(t: Translator, attempts: int) -> Screen:
    return t("fp.wrong", attempts=attempts), cancel_markup(t)


def locked(t: Translator, until: datetime | None, now: datetime) -> Screen:
    seconds = (until - now).total_seconds() if until else 60
    return t("fp.locked", minutes=max(1, math.ceil(seconds / 60))), kb.menu_only(t)


def completed(t: Translator, request: FinpassRecovery) -> Screen:
    return t("fp.completed", id=request.id), kb.menu_only(t)
