"""``sigmatrade wallet set-payout-key [--initial]`` (SPEC §10.4, §11.1): reads a private key (hex) or a
mnemonic from stdin (no echo on a terminal; never from arguments or the environment), derives the
address, stores the key encrypted in the keystore and prints the address. The key is never printed.

``--initial`` also makes it the payout wallet, only when none is configured yet; otherwise a change
goes through a wallet change request in the admin panel.

``sigmatrade wallet accept-nonce ADDRESS --yes``: the payout sender stops signing from a wallet whose
chain history is ahead of the books (``chain.nonces``: a manual transfer, the key used elsewhere, a
database restored from an older backup). Once every payout those transactions paid is settled, this
makes the books' next nonce the chain's transaction count (audited); without ``--yes`` it only prints
both counts.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from sigmatrade.clicmds import opened
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
    accept = wallet_sub.add_parser(
        "accept-nonce",
        help="accept a payout wallet's transactions the books never signed (after reconciling)",
    )
    accept.add_argument("address", help="the payout wallet (0x…)")
    accept.add_argument("--yes", action="store_true", help="write it (without: only print both counts)")
    accept.set_defaults(func=cmd_accept_nonce)


def cmd_accept_nonce(args: argparse.Namespace) -> int:
    from sigmatrade.domain.addresses import AddressError, parse_address

    config = load_config()
    parsed = parse_address(args.address)
    if isinstance(parsed, AddressError):
        print(f"error: not a wallet address ({parsed})", file=sys.stderr)
        return 1
    address = parsed.lower
    if not config.bsc_rpc_urls:
        print("error: BSC_RPC_URLS is empty: the chain cannot be read", file=sys.stderr)
        return 1
    try:
        line = asyncio.run(_accept(config, address, write=args.yes))
    except Exception as exc:  # the operator sees what failed; nothing was written
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0


async def _accept(config: object, address: str, *, write: bool) -> str:
    from sigmatrade.chain import nonces
    from sigmatrade.chain.provider import ProviderManager
    from sigmatrade.config import Config
    from sigmatrade.services import audit

    assert isinstance(config, Config)
    provider = ProviderManager(config.bsc_rpc_urls, chain_id=config.chain_id, limits=config.rpc_limits)
    async with opened(config) as db:
        try:
            await provider.start()
            pending = await provider.transaction_counts(address, "pending")
            latest = await provider.transaction_counts(address, "latest")
            seen = set(pending.values()) | set(latest.values())
            if not pending or len(seen) != 1:  # a node ahead or behind, or a transaction still in a mempool
                shown = ", ".join(
                    f"{label}: pending {pending.get(label, '-')}, mined {latest.get(label, '-')}"
                    for label in sorted(set(pending) | set(latest))
                )
                raise ConfigError(
                    f"the endpoints do not agree on the wallet's transactions ({shown or 'no answer'}): "
                    "nothing accepted; try again once they do"
                )
            chain = next(iter(seen))
            async with db.transaction() as session:
                books = await nonces.peek(session, address)
                counts = (
                    f"wallet {address}: the chain counts {chain} transactions, the books signed {books or 0}"
                )
                if not write:
                    return counts + " (nothing written: add --yes once every payout they paid is settled)"
                if books is not None and books >= chain:
                    return counts + " (nothing to accept)"
                await nonces.accept(session, address, chain)
                await audit.log(
                    session,
                    audit.CLI,
                    "payout_wallet_nonce_accepted",
                    target_type="wallet",
                    details={"address": address, "books": books, "chain": chain},
                )
            return counts + ": accepted, the sender signs from it again"
        finally:
            await provider.close()


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
    from sigmatrade.db.models import SystemSetting
    from sigmatrade.services import audit
    from sigmatrade.services import settings as settings_service

    assert isinstance(config, Config)
    keystore.parse_secret(secret)  # refuse bad input before touching the database
    cipher = keystore.cipher_for(config)
    async with opened(config) as db:
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
