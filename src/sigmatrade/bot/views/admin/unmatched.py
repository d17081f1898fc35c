"""Unmatched deposit screens (SPEC §5.8 "Unmatched deposits", §4.5). Pure: data in, screen out."""

from __future__ import annotations

from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot.callbacks import MAX_ID, Adm
from sigmatrade.bot.keyboards import Keyboard, button
from sigmatrade.bot.views.admin.desk_common import (
    address_link,
    age,
    back_to_panel,
    money,
    pager,
    tx_link,
    who,
)
from sigmatrade.db.models import User
from sigmatrade.domain.levels import MAX_LEVEL, MIN_LEVEL
from sigmatrade.services.admin import unmatched as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "um"


def assignment(user_id: int, level: int) -> str:
    return f"{user_id}-{level}"


def parse_assignment(arg: str) -> tuple[int, int] | None:
    """``user-level`` from callback data, bounded like ids; None for anything else."""
    parts = arg.split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts):
        return None
    user_id, level = int(parts[0]), int(parts[1])
    if not 1 <= user_id <= MAX_ID or not MIN_LEVEL <= level <= MAX_LEVEL:
        return None
    return user_id, level


def queue(t: Translator, page: svc.ItemPage, explorer: str) -> Screen:
    lines = [t("adm.um.title", total=page.total)]
    if not page.items:
        lines.append(t("adm.um.empty"))
    builder = Keyboard()
    for entry in page.items:
        i, tr = entry.item, entry.transfer
        lines.append(
            t(
                "adm.um.item",
                id=i.id,
                amount=money(t, tr.amount),
                sender=who(entry.suspected) if entry.suspected else address_link(explorer, tr.from_address),
                reason=t.raw(f"adm.um.reason.{i.reason}"),
                age=age(t, i.created_at),
                tx=tx_link(t, explorer, tr.tx_hash),
            )
        )
        builder.row(
            button(
                t.plain("adm.um.btn.item", id=i.id, amount=money(t, tr.amount)),
                Adm(sec=SEC, act="view", id=i.id, page=page.page).pack(),
            )
        )
    nav = pager(t, SEC, "list", page.page, page.pages)
    if nav:
        builder.row(*nav)
    builder.row(back_to_panel(t))
    return Safe("\n".join(lines)), builder.as_markup()


def view(t: Translator, entry: svc.Item, explorer: str, page: int = 1) -> Screen:
    i, tr = entry.item, entry.transfer
    text = t(
        "adm.um.view",
        id=i.id,
        amount=money(t, tr.amount),
        sender=address_link(explorer, tr.from_address),
        user=who(entry.suspected),
        reason=t.raw(f"adm.um.reason.{i.reason}"),
        status=t.raw(f"adm.um.status.{i.status}"),
        age=age(t, i.created_at),
        tx=tx_link(t, explorer, tr.tx_hash),
    )
    builder = Keyboard()
    if i.status == "open":
        builder.row(button(t.raw("adm.um.btn.assign"), Adm(sec=SEC, act="asg", id=i.id).pack()))
        builder.row(
            button(t.raw("adm.um.btn.refund"), Adm(sec=SEC, act="ref", id=i.id).pack()),
            button(t.raw("adm.um.btn.ignore"), Adm(sec=SEC, act="ign", id=i.id).pack()),
        )
    builder.row(
        button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="list", page=page).pack()), back_to_panel(t)
    )
    return text, builder.as_markup()


def _cancel(t: Translator, item_id: int) -> InlineKeyboardMarkup:
    builder = Keyboard()
    builder.row(button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=item_id).pack()))
    return builder.as_markup()


def user_prompt(t: Translator, item_id: int) -> Screen:
    return t("adm.um.user_prompt", id=item_id), _cancel(t, item_id)


def levels(t: Translator, item_id: int, user: User) -> Screen:
    builder = Keyboard()
    builder.row(
        *(
            button(str(level), Adm(sec=SEC, act="lvl", id=item_id, arg=assignment(user.id, level)).pack())
            for level in range(MIN_LEVEL, MAX_LEVEL + 1)
        )
    )
    builder.row(button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=item_id).pack()))
    return t("adm.um.level_prompt", id=item_id, user=who(user)), builder.as_markup()


def confirm_assign(t: Translator, item_id: int, user: User, level: int, received: Decimal) -> Screen:
    builder = Keyboard()
    builder.row(
        button(
            t.raw("adm.desk.btn.confirm"),
            Adm(sec=SEC, act="asgok", id=item_id, arg=assignment(user.id, level)).pack(),
        ),
        button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=item_id).pack()),
    )
    text = t("adm.um.confirm_assign", id=item_id, user=who(user), level=level, amount=money(t, received))
    return text, builder.as_markup()


def note_prompt(t: Translator, item_id: int, action: str) -> Screen:
    return t(f"adm.um.note_prompt.{action}", id=item_id), _cancel(t, item_id)


def confirm_note(t: Translator, item_id: int, action: str, note: str, amount: Decimal) -> Screen:
    builder = Keyboard()
    builder.row(
        button(t.raw("adm.desk.btn.confirm"), Adm(sec=SEC, act=f"{action}ok", id=item_id).pack()),
        button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=item_id).pack()),
    )
    return t(f"adm.um.confirm.{action}", id=item_id, note=note, amount=money(t, amount)), builder.as_markup()


def done(t: Translator, key: str, **values: object) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="list").pack()), back_to_panel(t))
    return t(key, **values), builder.as_markup()


def refused(t: Translator, code: str, params: dict[str, object]) -> str:
    if code == svc.TOO_LITTLE:
        return t.plain("adm.um.refused.too_little", level=params.get("level"), amount=params.get("amount"))
    if code == svc.ACTIVATION:
        return t.plain("adm.um.refused.activation", reason=params.get("reason"))
    if code in (svc.NOT_OPEN, svc.NO_USER, svc.NOTE_REQUIRED):
        return t.raw(f"adm.um.refused.{code}")
    return t.raw(f"adm.desk.refused.{code}")
