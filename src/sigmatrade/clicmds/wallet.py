"""``sigmatrade wallet set-payout-key [--initial]`` (SPEC §10.4, §11.1): reads a private key (hex) or a
mnemonic from stdin (no echo on a terminal; never from arguments or the environment), derives the
address, stores the key encrypted in the keystore and prints the address. The key is never printed.

``--initial`` also makes it the payout wallet, only when none is configured yet; otherwise a change
goes through a wallet change request in the admin panel.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from sigmatrade.config import ConfigError, load_config


def register(subparsers: object) -> None:
    wallet = subparsers.add_parser("wallet", help="payout wallet keystore")  # type: ignore[attr-defined]
    wallet_sub = wallet.add_subparsers(dest="wallet_command", required=True)
    cmd = wallet_sub.add_parser(
        "set-payout-key", help="read a private key or mnemonic from stdin and store it encrypted"
    )
    cmd.add_argument(
        "--initial", action="store_true", help="also activate it as payout wallet when none is configured"
    )
    cmd.set_defaults(func=cmd_set_payout_key)


def _read_secret() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("private key or mnemonic (input hidden): ")
    return sys.stdin.read()


def cmd_set_payout_key(args: argparse.Namespace) -> int:
    from sigmatrade.chain.keystore import KeystoreError

    config = load_config()
    secret = _read_secret()
    try:
        address, note = asyncio.run(_store(config, secret, initial=args.initial))
    except KeystoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(address)
    if note:
        print(note)
    return 0


async def _store(config: object, secret: str, *, initial: bool) -> tuple[str, str]:
    from sigmatrade.chain import keystore
    from sigmatrade.config import Config
    from sigmatrade.db import schema
    from sigmatrade.db.models import SystemSetting
    from sigmatrade.db.session import Database
    from sigmatrade.services import audit
    from sigmatrade.services import settings as settings_service

    assert isinstance(config, Config)
    keystore.parse_secret(secret)  # refuse bad input before touching the database
    cipher = keystore.cipher_for(config)
    db = Database(config.database_url)
    try:
        if not await schema.is_at_head(db.engine):
            raise ConfigError("database schema is not at the latest revision: run `sigmatrade db upgrade`")
        async with db.transaction() as session:
            stored = await keystore.store_key(session, cipher, secret)
            note = ""
            current = await session.get(SystemSetting, "payout.wallet_address")
            configured = settings_service.decode("payout.wallet_address", current.value) if current else None
            if initial and not configured:
                await settings_service.write(session, "payout.wallet_address", stored.address, None)
                await audit.log(
                    session,
                    audit.CLI,
                    "payout_wallet_initial",
                    target_type="setting",
                    details={"address": stored.address},
                )
                note = "activated as payout wallet"
            elif initial:
                note = "a payout wallet is already configured: change it with a wallet change request"
        return stored.address, note
    finally:
        await db.dispose()
