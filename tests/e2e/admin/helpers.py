"""Admin test helpers: create an admin and log in through the bot like a person (docs/bot-conventions.md)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.db.base import Base
from sigmatrade.domain.enums import AdminRole
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from tests.factories import ADMIN_KEY, make_admin

# Tables whose row counts a refused admin action must leave unchanged (money and its paper trail).
MONEY_TABLES = (
    "ledger_accounts",
    "journal_entries",
    "ledger_postings",
    "deposits",
    "chain_transfers",
    "unmatched_deposits",
    "reward_accruals",
    "referral_commissions",
    "payouts",
    "payout_approvals",
    "payout_transactions",
    "payment_retries",
    "wallet_change_requests",
    "finpass_recoveries",
    "blacklist",
    "admins",
    "audit_log",
)


async def login(client: UserClient, key: str = ADMIN_KEY) -> Exchange:
    """``/admin`` then the master key; returns the exchange of the key message (the panel on success)."""
    prompt = await client.send("/admin")
    if "master key" not in prompt.text and "мастер-ключ" not in prompt.text:
        raise AssertionError(f"no login prompt after /admin: {prompt.text!r}")
    return await client.send(key)


async def admin_client(
    h: Harness,
    telegram_id: int,
    *,
    role: AdminRole = AdminRole.SUPER_ADMIN,
    key: str = ADMIN_KEY,
    language_code: str = "en",
    logged_in: bool = True,
    username: str | None = None,
) -> UserClient:
    """An admin row (``make_admin``) and its Telegram client, logged in through the bot by default."""
    async with h.rt.db.transaction() as session:
        await make_admin(session, telegram_id=telegram_id, role=role, key=key, username=username)
    client = h.user(telegram_id, "Admin", language_code=language_code, username=username)
    if logged_in:
        ex = await login(client, key)
        assert "Admin panel" in ex.text or "Админ-панель" in ex.text, ex.text
    return client


async def row_counts(h: Harness, tables: tuple[str, ...] = MONEY_TABLES) -> dict[str, int]:
    async with h.rt.db.session() as session:
        out = {}
        for name in tables:
            table = Base.metadata.tables[name]
            out[name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
        return out


def alert(ex: Exchange) -> dict[str, object] | None:
    """The callback answer without its query id (to compare answers of two presses)."""
    if ex.answer is None:
        return None
    return {k: v for k, v in ex.answer.items() if k != "callback_query_id"}


async def press(client: UserClient, data: str) -> Exchange:
    """Press a button with ``data`` past the double-tap guard (the same data within 1 s is dropped)."""
    clock.travel(timedelta(seconds=1.5))
    alive = client.messages()
    return await client.press_data(data, message=alive[-1] if alive else None)


async def tap(client: UserClient, label: str) -> Exchange:
    """Press the button labelled ``label`` past the double-tap guard (see ``press``)."""
    clock.travel(timedelta(seconds=1.5))
    return await client.press(label)
