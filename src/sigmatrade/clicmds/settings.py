"""``sigmatrade settings get KEY`` and ``sigmatrade settings set KEY VALUE``: the runtime settings
(``system_settings``, SPEC §10.2) from the operator's shell — the kill switches above all
(``payout.sending_enabled``, which a restore turns off, ``withdrawal.enabled``, ``reward.enabled``).
A value is parsed and validated as the settings catalogue types it; a change is audited (actor ``cli``).
Read-only settings (the wallets) are refused: they change through their own procedures."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sigmatrade.clicmds import opened
from sigmatrade.config import ConfigError, load_config


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser("settings", help="read or change a runtime setting (kill switches included)")
    sub = cmd.add_subparsers(dest="settings_command", required=True)
    get = sub.add_parser("get", help="print a setting's value")
    get.add_argument("key")
    get.set_defaults(func=cmd_get)
    put = sub.add_parser("set", help="change a setting (validated, audited)")
    put.add_argument("key")
    put.add_argument("value")
    put.set_defaults(func=cmd_set)


def cmd_get(args: argparse.Namespace) -> int:
    return _run(args.key, None)


def cmd_set(args: argparse.Namespace) -> int:
    return _run(args.key, args.value)


def _run(key: str, text: str | None) -> int:
    from sigmatrade.services.settings import SettingError

    try:
        print(asyncio.run(change(load_config(), key, text)))
    except (KeyError, SettingError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


async def change(config: object, key: str, text: str | None) -> str:
    """The line the command prints; ``text`` None reads only."""
    from sigmatrade.config import Config
    from sigmatrade.db.models import SystemSetting
    from sigmatrade.services import audit
    from sigmatrade.services import settings as catalogue

    assert isinstance(config, Config)
    spec = catalogue.definition(key)
    async with opened(config) as db:
        async with db.transaction() as session:
            row = await session.get(SystemSetting, key)
            current = catalogue.decode(key, row.value) if row else spec.default
            if text is None:
                return f"{key} = {spec.kind.show(current)}"
            if spec.editable == catalogue.READONLY:
                raise catalogue.SettingError(f"{key} is read-only here: it changes through its own procedure")
            value = spec.kind.parse(text)
            before, after = await catalogue.write(session, key, value, None)
            await catalogue.check_related(session, key)  # raises: the transaction rolls back
            await audit.log(
                session,
                audit.CLI,
                "setting_changed",
                target_type="setting",
                before={key: catalogue.encode(key, before)},
                after={key: catalogue.encode(key, after)},
            )
        return f"{key} = {spec.kind.show(after)} (was {spec.kind.show(before)})"
