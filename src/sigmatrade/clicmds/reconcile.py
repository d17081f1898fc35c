"""``sigmatrade ledger reconcile`` (SPEC §4.7): the books against the chain. Exit code 1 on any
difference (each named with its transaction), 2 when chain features are not configured."""

from __future__ import annotations

import argparse
import asyncio

from sigmatrade.config import Config, load_config


def register(ledger_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = ledger_sub.add_parser(
        "reconcile",
        help="compare deposits credited and payouts settled with the chain (exit 1 on difference)",
    )
    parser.add_argument(
        "--from-block",
        type=int,
        default=None,
        help="first block (default: CHAIN_START_BLOCK, else the first recorded)",
    )
    parser.add_argument(
        "--to-block",
        type=int,
        default=None,
        help="last block (default: head - confirmations; incoming no further than the deposit cursor)",
    )
    parser.set_defaults(func=cmd_ledger_reconcile)


async def run(config: Config, from_block: int | None, to_block: int | None) -> tuple[str, bool]:
    from sigmatrade.chain.provider import ProviderManager
    from sigmatrade.chain.reconcile import reconcile
    from sigmatrade.db.session import Database

    db = Database(config.database_url)
    provider = ProviderManager(config.bsc_rpc_urls, chain_id=config.chain_id, limits=config.rpc_limits)
    try:
        await provider.start()
        report = await reconcile(
            db,
            provider,
            chain_id=config.chain_id,
            token=config.usdt_contract_address,
            decimals=config.usdt_decimals,
            confirmation_blocks=config.confirmation_blocks,
            from_block=from_block if from_block is not None else config.chain_start_block,
            to_block=to_block,
            recheck_depth=config.chain_recheck_depth_blocks,
        )
    finally:
        await provider.close()
        await db.dispose()
    return report.render(), report.ok


def cmd_ledger_reconcile(args: argparse.Namespace) -> int:
    config = load_config()
    if not config.bsc_rpc_urls:
        print("chain: not configured (BSC_RPC_URLS is empty): nothing to reconcile with")
        return 2
    text, ok = asyncio.run(run(config, args.from_block, args.to_block))
    print(text)
    return 0 if ok else 1
