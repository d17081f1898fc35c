"""Reward sessions screens (SPEC §5.8 "Reward sessions", "Session view", "Create session"). Pure."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.views.admin.panel import back_to_panel
from sigmatrade.db.models import RewardSession
from sigmatrade.domain.enums import ROLE_RANK, AdminRole
from sigmatrade.domain.money import canonical, format_amount, format_rate
from sigmatrade.domain.reward_sessions import LEVELS
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.services.rewards.sessions import SessionPage, SessionStats
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, join

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "rs"


def _btn(label: str, act: str, session_id: int = 0, page: int = 0) -> InlineKeyboardButton:
    return kb.button(label, Adm(sec=SEC, act=act, id=session_id, page=page).pack())


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _is_super(role: str) -> bool:
    return ROLE_RANK[AdminRole(role)] >= ROLE_RANK[AdminRole.SUPER_ADMIN]


def exact(t: Translator, value: Decimal) -> str:
    """An accrual sum to its last significant digit (accruals carry up to 8 decimals), at least 2."""
    places = max(2, len(canonical(value).partition(".")[2]))
    return format_amount(value, t.lang, places)


def window(t: Translator, row: RewardSession, tz: tzinfo) -> str:
    return f"{format_dt(row.starts_at, t.lang, tz)} → {format_dt(row.ends_at, t.lang, tz)}"


def rates(values: tuple[Decimal, ...] | list[Decimal]) -> str:
    return " | ".join(f"{format_rate(v)}%" for v in values)


def _rates_of(row: RewardSession) -> list[Decimal]:
    return [row.rate_for(level) for level in range(1, LEVELS + 1)]


def listing(t: Translator, page: SessionPage, role: str, tz: tzinfo, *, note: Safe | None = None) -> Screen:
    lines = [t("adm.rs.title", total=page.total)]
    for row in page.rows:
        lines.append(
            t(
                "adm.rs.row",
                id=row.id,
                name=row.name,
                window=window(t, row, tz),
                status=t.raw("adm.rs.active" if row.is_active else "adm.rs.inactive"),
                current=t.raw("adm.rs.current") if row.id == page.current_id else "",
                rate=format_rate(row.rate_for(1)),
            )
        )
    if not page.rows:
        lines.append(t("adm.rs.empty"))
    if note is not None:
        lines.insert(0, note)
    rows = [[_btn(f"#{row.id} {row.name}"[:60], "view", row.id)] for row in page.rows]
    if page.pages > 1:
        rows.append(kb.pager(lambda p: Adm(sec=SEC, act="list", page=p).pack(), page.page, page.pages))
    if _is_super(role):
        rows.append([_btn(t.raw("adm.rs.btn.create"), "create")])
    rows.append(back_to_panel(t))
    return join(lines), _markup(rows)


def view(
    t: Translator,
    row: RewardSession,
    stats: SessionStats,
    role: str,
    tz: tzinfo,
    now: datetime,
    *,
    note: Safe | None = None,
) -> Screen:
    if row.is_active and row.starts_at <= now < row.ends_at:
        status = t.raw("adm.rs.status.current")
    elif row.is_active:
        status = t.raw("adm.rs.status.active")
    else:
        status = t.raw("adm.rs.status.inactive")
    parts = [
        t(
            "adm.rs.view",
            id=row.id,
            name=row.name,
            window=window(t, row, tz),
            status=status,
            rates=rates(_rates_of(row)),
            accruals=stats.accruals,
            total=exact(t, stats.total),
            deposits=stats.deposits,
        )
    ]
    for level in range(1, LEVELS + 1):
        count, total = stats.per_level.get(level, (0, Decimal(0)))
        parts.append(t("adm.rs.level", level=level, count=count, total=exact(t, total)))
    if note is not None:
        parts.insert(0, note)
    rows: list[list[InlineKeyboardButton]] = []
    toggle = "off" if row.is_active else "on"
    if _is_super(role):
        rows.append(
            [
                _btn(t.raw("adm.rs.btn.recalc"), "recalc", row.id),
                _btn(t.raw(f"adm.rs.btn.{toggle}"), toggle, row.id),
            ]
        )
        rows.append([_btn(t.raw("adm.rs.btn.delete"), "del", row.id)])
    rows.append([_btn(t.raw("adm.rs.btn.list"), "list", page=1)])
    return join(parts), _markup(rows)


def confirm_delete(t: Translator, row: RewardSession) -> Screen:
    return t("adm.rs.delete_confirm", id=row.id, name=row.name), _markup(
        [
            [_btn(t.raw("adm.rs.btn.delete_yes"), "del_ok", row.id)],
            [_btn(t.raw("btn.cancel"), "view", row.id)],
        ]
    )


def prompt(t: Translator, key: str, *, error: str | None = None, **values: object) -> Screen:
    parts = [t(f"adm.rs.err.{error}")] if error is not None else []
    parts.append(t(key, **values))
    return join(parts, "\n\n"), _markup([[_btn(t.raw("btn.cancel"), "list", page=1)]])


def summary(
    t: Translator,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    values: list[Decimal],
    tz: tzinfo,
    *,
    note: Safe | None = None,
) -> Screen:
    text = t(
        "adm.rs.summary",
        name=name,
        window=f"{format_dt(starts_at, t.lang, tz)} → {format_dt(ends_at, t.lang, tz)}",
        rates=rates(values),
    )
    if note is not None:
        text = join([note, text], "\n\n")
    return text, _markup(
        [[_btn(t.raw("adm.rs.btn.create_yes"), "create_ok")], [_btn(t.raw("btn.cancel"), "list", page=1)]]
    )


def overlap(t: Translator, conflict: RewardSession, tz: tzinfo) -> Safe:
    return t("adm.rs.err.overlap", id=conflict.id, name=conflict.name, window=window(t, conflict, tz))


def overlap_alert(t: Translator, conflict: RewardSession) -> str:
    """The overlap refusal as a callback alert (plain text, short)."""
    return t.plain("adm.rs.err.overlap_alert", id=conflict.id)
