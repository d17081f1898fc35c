"""Support screens: home, category choice, composer prompts and acks, thread, closed-ticket history.

Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out. Ticket texts are user values: escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, tzinfo

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Nav, Sup
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.db.models import SupportMessage, SupportTicket
from sigmatrade.domain.enums import MessageSender
from sigmatrade.services import support as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, escape, plain_length, truncate_plain

Screen = tuple[Safe, InlineKeyboardMarkup]
# Telegram counts a text's limit (4096) in UTF-16 units after entity parsing: the thread's blocks are
# measured so (``plain_length``), newest first, in what the header and the "earlier" line leave. One
# block always fits: its text and captions are cut in the same units (1200 + 10 × 200 at most).
TEXT_LIMIT = 4096
EARLIER_RESERVE = 80
MESSAGE_PREVIEW = 1200


def _dt(moment: datetime | None, lang: str, tz: tzinfo) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M" if lang == "ru" else "%Y-%m-%d %H:%M")


def _markup(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = Keyboard()
    for row in rows:
        if row:
            builder.row(*(kb.button(label, data) for label, data in row))
    return builder.as_markup()


def category_label(t: Translator, category: str) -> str:
    return t.raw(f"sup.cat.{category}")


def status_label(t: Translator, status: str) -> str:
    return t.raw(f"sup.status.{status}")


def home(t: Translator, active: SupportTicket | None, *, email: str | None, tz: tzinfo) -> Screen:
    if active is None:
        body = t("sup.no_active")
        first = (t.raw("sup.btn.new"), Sup(action="new").pack())
    else:
        body = t(
            "sup.active",
            id=active.id,
            category=category_label(t, active.category),
            status=status_label(t, active.status),
            created=_dt(active.created_at, t.lang, tz),
        )
        first = (t.plain("sup.btn.my", id=active.id), Sup(action="view", id=active.id, page=0).pack())
    mail = t("sup.email", email=email) if email else ""
    text = Safe(f"{t('sup.title')}\n\n{body}{mail}")
    markup = _markup(
        [first],
        [(t.raw("sup.btn.history"), Sup(action="history", page=1).pack())],
        [(t.raw("info.btn.faq"), Nav(to="faq").pack())],
        [(t.raw("btn.back"), Nav(to="menu").pack())],
    )
    return text, markup


def categories(t: Translator) -> Screen:
    rows = [[(category_label(t, c), Sup(action="cat", cat=c).pack())] for c in svc.CATEGORIES]
    return t("sup.choose_category"), _markup(*rows, [(t.raw("btn.cancel"), Sup(action="discard").pack())])


def composer_markup(t: Translator, flow: int) -> InlineKeyboardMarkup:
    return _markup(
        [(t.raw("sup.btn.send"), Sup(action="send", id=flow).pack())],
        [(t.raw("sup.btn.discard"), Sup(action="discard").pack())],
    )


def discard_markup(t: Translator) -> InlineKeyboardMarkup:
    return _markup([(t.raw("sup.btn.discard"), Sup(action="discard").pack())])


def compose_prompt(t: Translator, category: str, flow: int) -> Screen:
    text = t(
        "sup.compose_prompt",
        category=category_label(t, category),
        max_parts=svc.MAX_PARTS,
        max_atts=svc.MAX_ATTACHMENTS,
        max_text=svc.MAX_TEXT,
    )
    return text, composer_markup(t, flow)


def followup_prompt(t: Translator, ticket_id: int, flow: int) -> Screen:
    return t("sup.followup_prompt", id=ticket_id), composer_markup(t, flow)


def part_added(t: Translator, draft: Sequence[svc.Part], flow: int) -> Screen:
    parts, atts = svc.counts(draft)
    text = t("sup.part_added", parts=parts, max_parts=svc.MAX_PARTS, atts=atts, max_atts=svc.MAX_ATTACHMENTS)
    return text, composer_markup(t, flow)


def error_text(t: Translator, err: svc.SupportError) -> str:
    """Plain text (alerts and messages alike: no markup inside)."""
    if err.code == svc.RATE_LIMITED:
        minutes = max(1, math.ceil(int(err.params.get("wait", 60)) / 60))
        return t.plain("err.action_limited", wait=t.plain("time.minutes", n=minutes))
    key = f"sup.err.{err.code}"
    try:
        return t.plain(key, **err.params)
    except KeyError:
        return t.plain("err.outdated_button")


def created(t: Translator, sent: svc.Sent) -> Screen:
    key = "sup.next.assigned" if sent.assignee_telegram_id is not None else "sup.next.open"
    text = t("sup.created", id=sent.ticket.id, next=t(key))
    return text, _markup(
        [(t.plain("sup.btn.my", id=sent.ticket.id), Sup(action="view", id=sent.ticket.id, page=0).pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )


def followup_sent(t: Translator, ticket_id: int) -> Screen:
    return t("sup.followup_sent", id=ticket_id), _markup(
        [(t.plain("sup.btn.my", id=ticket_id), Sup(action="view", id=ticket_id, page=0).pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )


def _attachments(t: Translator, message: SupportMessage) -> str:
    items = [a.get("kind", "document") for a in message.attachments or []]
    if not items:
        return ""
    names = ", ".join(t.raw(f"sup.att.{k}") if k in svc.MEDIA_KINDS else k for k in items)
    return str(t("sup.thread.attachments", items=names))


def _message_block(t: Translator, message: SupportMessage, tz: tzinfo) -> str:
    who = {
        MessageSender.USER: "sup.thread.user",
        MessageSender.ADMIN: "sup.thread.admin",
    }.get(MessageSender(message.sender), "sup.thread.system")
    lines = [str(t(who, time=_dt(message.created_at, t.lang, tz)))]
    if message.text:
        lines.append(escape(truncate_plain(message.text, MESSAGE_PREVIEW)))
    captions = [a.get("caption") for a in message.attachments or [] if a.get("caption")]
    lines.extend(escape(truncate_plain(str(c), 200)) for c in captions)
    extra = _attachments(t, message)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def thread(t: Translator, data: svc.Thread, *, tz: tzinfo, back_page: int = 0) -> Screen:
    ticket = data.ticket
    header = t(
        "sup.thread.header",
        id=ticket.id,
        category=category_label(t, ticket.category),
        status=status_label(t, ticket.status),
        created=_dt(ticket.created_at, t.lang, tz),
    )
    blocks: list[str] = []
    budget = TEXT_LIMIT - plain_length(header) - EARLIER_RESERVE
    used = 0
    for message in reversed(data.messages):  # newest first until the budget is spent
        block = _message_block(t, message, tz)
        size = plain_length(block) + 2  # with its blank-line separator
        if blocks and used + size > budget:
            break
        blocks.insert(0, block)
        used += size
    hidden = len(data.messages) - len(blocks)
    if hidden:
        blocks.insert(0, str(t("sup.thread.earlier", n=hidden)))
    text = Safe("\n\n".join([header, *blocks]))
    rows: list[list[tuple[str, str]]] = []
    if ticket.status in svc.ACTIVE:
        rows.append([(t.raw("sup.btn.add"), Sup(action="add", id=ticket.id).pack())])
        rows.append([(t.raw("sup.btn.close"), Sup(action="close", id=ticket.id).pack())])
    back = Sup(action="history", page=back_page).pack() if back_page else Nav(to="support").pack()
    rows.append([(t.raw("btn.back"), back)])
    return text, _markup(*rows)


def history(t: Translator, page: svc.TicketPage, *, tz: tzinfo) -> Screen:
    lines = [str(t("sup.history.title", total=page.total))]
    if not page.items:
        lines.append(str(t("sup.history.empty")))
    for ticket in page.items:
        lines.append(
            str(
                t(
                    "sup.history.line",
                    id=ticket.id,
                    category=category_label(t, ticket.category),
                    closed=_dt(ticket.closed_at, t.lang, tz),
                )
            )
        )
    builder = Keyboard()
    for ticket in page.items:
        label = t.plain("sup.btn.view", id=ticket.id, category=category_label(t, ticket.category))
        builder.row(kb.button(label, Sup(action="view", id=ticket.id, page=page.page).pack()))
    if page.pages > 1:
        builder.row(*kb.pager(lambda p: Sup(action="history", page=p).pack(), page.page, page.pages))
    builder.row(*kb.back_row(t, "support"))
    return Safe("\n".join(lines)), builder.as_markup()
