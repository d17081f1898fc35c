"""``sigmatrade admin add|remove|list|reset-key`` (SPEC §10.4). A new master key is printed once and
only its hash is stored; every change is audited with actor ``cli``. Exit codes: 0 success, 1 refused
(the reason on stderr), 2 usage."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from sigmatrade.clicmds import opened
from sigmatrade.config import load_config
from sigmatrade.domain.enums import AdminRole

REASONS = {
    "exists": "this Telegram id is already an admin",
    "not_found": "no admin with this Telegram id",
    "last_super": "refused: this is the last super admin",
    "bad_id": "a Telegram id is a positive number",
}


def register(subparsers: Any) -> None:
    admin = subparsers.add_parser("admin", help="admin accounts")
    sub = admin.add_subparsers(dest="admin_command", required=True)
    add = sub.add_parser("add", help="create (or restore) an admin and print a new master key once")
    add.add_argument("telegram_id", type=int)
    add.add_argument("--role", choices=[r.value for r in AdminRole], default=AdminRole.ADMIN.value)
    add.add_argument("--username")
    add.set_defaults(func=cmd_add)
    remove = sub.add_parser("remove", help="remove an admin and revoke their sessions")
    remove.add_argument("telegram_id", type=int)
    remove.set_defaults(func=cmd_remove)
    sub.add_parser("list", help="role, Telegram id, username, key set, locked, last login").set_defaults(
        func=cmd_list
    )
    reset = sub.add_parser(
        "reset-key", help="print a new master key once, revoke sessions, clear the lockout"
    )
    reset.add_argument("telegram_id", type=int)
    reset.set_defaults(func=cmd_reset_key)


def _run(work: Callable[[Any], Awaitable[str]], *, write: bool = True) -> int:
    from sigmatrade.services.admin.admins import AdminsError

    config = load_config()

    async def go() -> str:
        async with opened(config) as db:
            if write:
                async with db.transaction() as session:
                    return await work(session)
            async with db.session() as session:
                return await work(session)

    try:
        print(asyncio.run(go()))
    except AdminsError as exc:
        print(REASONS.get(exc.code, exc.code), file=sys.stderr)
        return 1
    return 0


def _check_id(telegram_id: int) -> None:
    from sigmatrade.services.admin.admins import parse_telegram_id

    parse_telegram_id(str(telegram_id))


def cmd_add(args: argparse.Namespace) -> int:
    from sigmatrade.services.admin import admins

    async def work(session: Any) -> str:
        _check_id(args.telegram_id)
        issued = await admins.add(session, args.telegram_id, AdminRole(args.role), username=args.username)
        what = "restored" if issued.restored else "added"
        return f"admin {args.telegram_id} {what} ({issued.admin.role})\nmaster key (shown once): {issued.key}"

    return _run(work)


def cmd_remove(args: argparse.Namespace) -> int:
    from sigmatrade.services.admin import admins

    async def work(session: Any) -> str:
        await admins.remove(session, args.telegram_id)
        return f"admin {args.telegram_id} removed; sessions revoked"

    return _run(work)


def cmd_reset_key(args: argparse.Namespace) -> int:
    from sigmatrade.services.admin import admins

    async def work(session: Any) -> str:
        issued = await admins.reset_key(session, args.telegram_id)
        return f"admin {args.telegram_id}: new master key (shown once): {issued.key}\nsessions revoked, lockout cleared"

    return _run(work)


def cmd_list(args: argparse.Namespace) -> int:
    from sigmatrade import clock
    from sigmatrade.services.admin import admins

    async def work(session: Any) -> str:
        page = await admins.listing(session, 1, size=10_000)
        lines = [f"{'role':<15} {'telegram_id':>14}  {'username':<20} key  locked  last login"]
        now = clock.now()
        for row in page.rows:
            a = row.admin
            last = a.last_login_at.strftime("%Y-%m-%d %H:%M") if a.last_login_at else "-"
            lines.append(
                f"{a.role:<15} {a.telegram_id:>14}  {(a.username or '-'):<20} "
                f"{'yes' if a.master_key_hash else 'no ':<4} {'yes' if admins.locked(a, now) else 'no':<7} {last}"
            )
        lines.append(f"{page.total} admin(s)")
        return "\n".join(lines)

    return _run(work, write=False)
