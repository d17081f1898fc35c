"""Referral screens: home (stats), my link, lists per depth, commissions, leaderboard (SPEC §5.6).

Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out. Names of other users go through the
translator (escaped); the leaderboard shows only @username or "User #<id>" (SPEC §3.4.7).
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from urllib.parse import quote

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Ref
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.domain.money import format_amount, format_rate
from sigmatrade.domain.timefmt import format_date, format_dt
from sigmatrade.services import referrals as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, code, link

Screen = tuple[Safe, InlineKeyboardMarkup]
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def _money(t: Translator, value: Decimal) -> str:
    return format_amount(value, t.lang)


def _back(t: Translator, to_home: bool = True) -> list[InlineKeyboardButton]:
    if to_home:
        return [kb.button(t.raw("btn.back"), Ref(action="home").pack())]
    return kb.back_row(t, "menu")


def _rate(rates: tuple[Decimal, ...], depth: int) -> str:
    return format_rate(rates[depth - 1]) if depth <= len(rates) else "0"


def home(t: Translator, data: svc.Overview) -> Screen:
    levels = "\n".join(
        t(
            "ref.home_level",
            depth=s.depth,
            total=s.total,
            verified=s.verified,
            earned=_money(t, s.earned),
        )
        for s in data.depths
    )
    text = t(
        "ref.home",
        r1=_rate(data.rates, 1),
        r2=_rate(data.rates, 2),
        r3=_rate(data.rates, 3),
        levels=Safe(levels),
        verified_direct=data.verified_direct,
        earned=_money(t, data.total_earned),
    )
    if data.inactive:
        text = Safe(text + t("ref.inactive"))
    builder = Keyboard()
    builder.row(kb.button(t.raw("ref.btn.link"), Ref(action="link").pack()))
    builder.row(kb.button(t.raw("ref.btn.lists"), Ref(action="list", depth=1, page=1).pack()))
    builder.row(
        kb.button(t.raw("ref.btn.comms"), Ref(action="comms", page=1).pack()),
        kb.button(t.raw("ref.btn.board"), Ref(action="board", metric=svc.METRIC_COUNT).pack()),
    )
    builder.row(*_back(t, to_home=False))
    return text, builder.as_markup()


def my_link(t: Translator, data: svc.Overview) -> Screen:
    shown = link(data.link, data.link) if data.link else t("ref.link_unknown")
    text = t("ref.link", link=shown, code=code(data.code))
    builder = Keyboard()
    if data.inactive:
        text = Safe(text + t("ref.inactive"))
    elif data.link:
        share = (
            f"https://t.me/share/url?url={quote(data.link, safe='')}&text={quote(t.raw('ref.share_text'))}"
        )
        builder.row(kb.url_button(t.raw("ref.btn.share"), share))
    builder.row(*_back(t))
    return text, builder.as_markup()


def _depth_row(t: Translator, current: int) -> list[InlineKeyboardButton]:
    return [
        kb.button(
            t.plain("ref.btn.depth_on" if d == current else "ref.btn.depth", depth=d),
            Ref(action="list", depth=d, page=1).pack(),
        )
        for d in svc.DEPTHS
    ]


def referral_list(t: Translator, data: svc.ReferralPage, *, tz: tzinfo) -> Screen:
    if not data.items:
        text = t("ref.list_empty", depth=data.depth)
    else:
        start = (data.page - 1) * svc.PAGE_SIZE
        lines = [t("ref.list_title", depth=data.depth, total=data.total), ""]
        for n, row in enumerate(data.items, start=start + 1):
            lines.append(
                t(
                    "ref.list_item",
                    n=n,
                    name=row.name,
                    joined=format_date(row.joined, t.lang, tz),
                    verified=t.raw("ref.verified_yes" if row.verified else "ref.verified_no"),
                    earned=_money(t, row.earned),
                )
            )
        text = Safe("\n".join(lines))
    builder = Keyboard()
    builder.row(*_depth_row(t, data.depth))
    if data.pages > 1:
        depth = data.depth
        builder.row(
            *kb.pager(lambda p: Ref(action="list", depth=depth, page=p).pack(), data.page, data.pages)
        )
    builder.row(*_back(t))
    return text, builder.as_markup()


def _comm_status(t: Translator, row: svc.CommissionRow) -> str:
    if row.status == "skipped" and row.skip_reason in ("banned", "earnings_blocked"):
        return t.raw(f"ref.skip.{row.skip_reason}")
    return t.raw("ref.status.skipped" if row.status == "skipped" else "ref.status.credited")


def commissions(t: Translator, data: svc.CommissionPage, *, tz: tzinfo) -> Screen:
    if not data.items:
        text = t("ref.comms_empty")
    else:
        blocks = [t("ref.comms_title", total=data.total)]
        for row in data.items:
            blocks.append(
                t(
                    "ref.comms_item",
                    date=format_dt(row.at, t.lang, tz),
                    name=row.payer,
                    depth=row.depth,
                    base=_money(t, row.base),
                    rate=format_rate(row.rate),
                    amount=_money(t, row.amount),
                    status=_comm_status(t, row),
                )
            )
        text = Safe("\n\n".join(blocks))
    builder = Keyboard()
    if data.pages > 1:
        builder.row(*kb.pager(lambda p: Ref(action="comms", page=p).pack(), data.page, data.pages))
    builder.row(*_back(t))
    return text, builder.as_markup()


def _value(t: Translator, metric: str, value: Decimal) -> str:
    return str(int(value)) if metric == svc.METRIC_COUNT else _money(t, value)


def leaderboard(t: Translator, data: svc.Board) -> Screen:
    metric = data.metric
    lines = [t(f"ref.board_title.{metric}"), ""]
    if not data.top:
        lines.append(t("ref.board_empty"))
    for row in data.top:
        place = MEDALS.get(row.rank, f"#{row.rank}")
        lines.append(
            t(f"ref.board_row.{metric}", place=place, name=row.name, value=_value(t, metric, row.value))
        )
    lines.append("")
    if data.me is None:
        lines.append(t("ref.board_me_none"))
    else:
        lines.append(
            t(
                f"ref.board_me.{metric}",
                rank=data.me.rank,
                ranked=data.ranked,
                value=_value(t, metric, data.me.value),
            )
        )
    lines.append(t("ref.board_ties"))
    builder = Keyboard()
    toggles = []
    for option, key in ((svc.METRIC_COUNT, "ref.btn.by_count"), (svc.METRIC_EARNED, "ref.btn.by_earned")):
        label = t.raw(f"{key}_on" if option == metric else key)
        toggles.append(kb.button(label, Ref(action="board", metric=option).pack()))
    builder.row(*toggles)
    builder.row(*_back(t))
    return Safe("\n".join(lines)), builder.as_markup()
