"""Users screen and user card (SPEC §5.8 "Users", §3.12). Pure: data in, text and markup out."""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.views.admin.panel import back_to_panel
from sigmatrade.db.models import Deposit, Payout, User
from sigmatrade.domain.contacts import Contacts
from sigmatrade.domain.enums import ROLE_RANK, AdminRole
from sigmatrade.domain.money import format_amount
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.services.admin.users import Card, LedgerLine, Page
from sigmatrade.services.profile import MaskedContacts
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, join

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "users"


def _btn(label: str, act: str, user_id: int = 0, page: int = 0, arg: str = "") -> InlineKeyboardButton:
    return kb.button(label, Adm(sec=SEC, act=act, id=user_id, page=page, arg=arg).pack())


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def money(t: Translator, value: Decimal) -> str:
    return format_amount(value, t.lang)


def _flags(t: Translator, user: User) -> list[str]:
    flags = [t.raw("adm.users.flag.verified" if user.is_verified else "adm.users.flag.unverified")]
    for name in ("banned", "earnings_blocked", "unreachable"):
        if getattr(user, f"is_{name}" if name != "earnings_blocked" else name):
            flags.append(t.raw(f"adm.users.flag.{name}"))
    return flags


def _row(t: Translator, user: User) -> Safe:
    marks = " · " + t.raw("adm.users.flag.banned") if user.is_banned else ""
    return t("adm.users.row", id=user.id, name=display_name(user), tg=user.telegram_id, flags=marks)


def _user_buttons(users: list[User]) -> list[list[InlineKeyboardButton]]:
    return [[_btn(f"#{u.id} · {display_name(u)}", "card", u.id)] for u in users]


def search_prompt(t: Translator) -> Screen:
    return t("adm.users.search_prompt"), _markup(
        [[_btn(t.raw("adm.users.btn.recent"), "recent", page=1)], back_to_panel(t)]
    )


def results(t: Translator, query: str, users: list[User]) -> Screen:
    if not users:
        text = t("adm.users.none", query=query[:64])
    else:
        text = join([t("adm.users.found", query=query[:64]), *(_row(t, u) for u in users)])
    rows = _user_buttons(users)
    rows.append([_btn(t.raw("adm.users.btn.recent"), "recent", page=1)])
    rows.append(back_to_panel(t))
    return text, _markup(rows)


def recent(t: Translator, page: Page) -> Screen:
    text = join([t("adm.users.recent_title", total=page.total), *(_row(t, u) for u in page.items)])
    rows = _user_buttons(page.items)
    if page.pages > 1:
        rows.append(kb.pager(lambda p: Adm(sec=SEC, act="recent", page=p).pack(), page.page, page.pages))
    rows.append([_btn(t.raw("adm.users.btn.search"), "")])
    rows.append(back_to_panel(t))
    return text, _markup(rows)


def card(
    t: Translator, data: Card, masked: MaskedContacts, role: str, tz: tzinfo, *, note: Safe | None = None
) -> Screen:
    user, b = data.user, data.balances
    none = t.raw("adm.users.none_value")
    deposits = ", ".join(f"{status}: {n}" for status, n in sorted(data.deposits.items()))
    shown = [f"📞 {masked.phone}" if masked.phone else "", f"✉️ {masked.email}" if masked.email else ""]
    contacts = " · ".join(x for x in shown if x) or t.raw("adm.users.contacts_none")
    text = t(
        "adm.users.card",
        id=user.id,
        name=display_name(user),
        tg=user.telegram_id,
        lang=user.language or none,
        wallet=user.wallet_address,
        code=user.referral_code,
        referrer=display_name(data.referrer) if data.referrer else none,
        registered=format_dt(user.created_at, t.lang, tz),
        flags=", ".join(_flags(t, user)),
        available=money(t, b.available),
        held=money(t, b.held),
        principal=money(t, b.principal),
        earned=money(t, b.earned),
        withdrawn=money(t, b.withdrawn),
        deposits=deposits or t.raw("adm.users.no_deposits"),
        ref1=data.referrals.get(1, 0),
        ref2=data.referrals.get(2, 0),
        ref3=data.referrals.get(3, 0),
        open_payouts=data.open_payouts,
        open_sum=money(t, data.open_payouts_sum),
        ticket=f"#{data.ticket_id}" if data.ticket_id else none,
        contacts=contacts,
    )
    if note is not None:
        text = join([note, text], "\n\n")
    rank = ROLE_RANK[AdminRole(role)]
    uid = user.id
    rows = [
        [
            _btn(t.raw("adm.users.btn.unban"), "unban", uid)
            if user.is_banned
            else _btn(t.raw("adm.users.btn.ban"), "ban", uid)
        ]
    ]
    if user.earnings_blocked:
        rows.append([_btn(t.raw("adm.users.btn.unblock"), "unblock", uid)])
    if rank >= ROLE_RANK[AdminRole.EXTENDED_ADMIN] and (user.phone_enc or user.email_enc):
        rows.append([_btn(t.raw("adm.users.btn.contacts"), "contacts", uid)])
    if rank >= ROLE_RANK[AdminRole.SUPER_ADMIN]:
        rows.append(
            [
                _btn(t.raw("adm.users.btn.adjust"), "adjust", uid),
                _btn(t.raw("adm.users.btn.wallet"), "wallet", uid),
            ]
        )
    rows.append(
        [
            _btn(t.raw("adm.users.btn.ledger"), "ledger", uid, 1),
            _btn(t.raw("adm.users.btn.deposits"), "deps", uid, 1),
            _btn(t.raw("adm.users.btn.payouts"), "pays", uid, 1),
        ]
    )
    rows.append([_btn(t.raw("adm.users.btn.search"), "")])
    rows.append(back_to_panel(t))
    return text, _markup(rows)


def back_to_card(t: Translator, user_id: int) -> list[InlineKeyboardButton]:
    return [_btn(t.raw("adm.users.btn.card"), "card", user_id)]


def cancel_to_card(t: Translator, user_id: int) -> list[InlineKeyboardButton]:
    return [_btn(t.raw("btn.cancel"), "card", user_id)]


def confirm_ban(t: Translator, user: User, reason: str | None) -> Screen:
    text = t(
        "adm.users.confirm_ban",
        id=user.id,
        name=display_name(user),
        reason=reason or t.raw("adm.users.none_value"),
    )
    rows = [
        [_btn(t.raw("adm.users.btn.confirm_ban"), "ban_ok", user.id)],
        [_btn(t.raw("adm.users.btn.reason"), "ban_reason", user.id)],
        cancel_to_card(t, user.id),
    ]
    return text, _markup(rows)


def ban_reason_prompt(t: Translator, user_id: int) -> Screen:
    return t("adm.users.ban_reason_prompt", id=user_id), _markup([cancel_to_card(t, user_id)])


def confirm_unban(t: Translator, user: User) -> Screen:
    text = t("adm.users.confirm_unban", id=user.id, name=display_name(user))
    return text, _markup(
        [[_btn(t.raw("adm.users.btn.confirm_unban"), "unban_ok", user.id)], cancel_to_card(t, user.id)]
    )


def contacts(t: Translator, user_id: int, found: Contacts) -> Screen:
    none = t.raw("adm.users.none_value")
    text = t("adm.users.contacts", id=user_id, phone=found.phone or none, email=found.email or none)
    return text, _markup([back_to_card(t, user_id)])


def adjust_prompt(t: Translator, user_id: int, available: Decimal) -> Screen:
    return t("adm.users.adjust_prompt", id=user_id, available=money(t, available)), _markup(
        [cancel_to_card(t, user_id)]
    )


def prompt(t: Translator, key: str, user_id: int, **values: object) -> Screen:
    return t(key, id=user_id, **values), _markup([cancel_to_card(t, user_id)])


def adjust_confirm(t: Translator, user: User, amount: Decimal, reason: str, available: Decimal) -> Screen:
    text = t(
        "adm.users.adjust_confirm",
        what=t.raw("adm.users.adjust_credit" if amount > 0 else "adm.users.adjust_debit"),
        amount=money(t, abs(amount)),
        id=user.id,
        name=display_name(user),
        reason=reason,
        available=money(t, available),
    )
    rows = [[_btn(t.raw("adm.users.btn.confirm_adjust"), "adjust_ok", user.id)], cancel_to_card(t, user.id)]
    return text, _markup(rows)


def wallet_confirm(t: Translator, user: User, new: str) -> Screen:
    text = t("adm.users.wallet_confirm", id=user.id, old=user.wallet_address, new=new)
    rows = [[_btn(t.raw("adm.users.btn.confirm_wallet"), "wallet_ok", user.id)], cancel_to_card(t, user.id)]
    return text, _markup(rows)


def _paged(t: Translator, title: Safe, lines: list[Safe], act: str, user_id: int, page: Page) -> Screen:
    text = join([title, *(lines or [t("adm.users.empty")])])
    rows: list[list[InlineKeyboardButton]] = []
    if page.pages > 1:
        rows.append(
            kb.pager(lambda p: Adm(sec=SEC, act=act, id=user_id, page=p).pack(), page.page, page.pages)
        )
    rows.append(back_to_card(t, user_id))
    return text, _markup(rows)


def ledger(t: Translator, user_id: int, page: Page, tz: tzinfo) -> Screen:
    lines = []
    for item in page.items:
        assert isinstance(item, LedgerLine)
        sign = "+" if item.amount > 0 else ""
        note = f" · {item.entry.description[:60]}" if item.entry.description else ""
        lines.append(
            t(
                "adm.users.ledger_row",
                date=format_dt(item.entry.created_at, t.lang, tz),
                type=item.entry.entry_type,
                amount=sign + money(t, item.amount),
                note=note,
            )
        )
    return _paged(
        t, t("adm.users.ledger_title", id=user_id, total=page.total), lines, "ledger", user_id, page
    )


def deposits(t: Translator, user_id: int, page: Page, tz: tzinfo) -> Screen:
    lines = []
    for d in page.items:
        assert isinstance(d, Deposit)
        lines.append(
            t(
                "adm.users.deposit_row",
                dep=d.id,
                level=d.level,
                amount=money(t, d.amount),
                status=d.status,
                date=format_dt(d.created_at, t.lang, tz),
            )
        )
    return _paged(
        t, t("adm.users.deposits_title", id=user_id, total=page.total), lines, "deps", user_id, page
    )


def payouts(t: Translator, user_id: int, page: Page, tz: tzinfo) -> Screen:
    lines = []
    for p in page.items:
        assert isinstance(p, Payout)
        lines.append(
            t(
                "adm.users.payout_row",
                pid=p.id,
                kind=p.kind,
                amount=money(t, p.amount),
                net=money(t, p.net_amount),
                status=p.status,
                date=format_dt(p.created_at, t.lang, tz),
            )
        )
    return _paged(t, t("adm.users.payouts_title", id=user_id, total=page.total), lines, "pays", user_id, page)


def error(t: Translator, code: str, **params: object) -> str:
    key = f"adm.users.err.{code}"
    return t.plain(key, **{k: money(t, v) if isinstance(v, Decimal) else v for k, v in params.items()})
