"""``sigmatrade chain status``: the deposit cursor, the chain head and lag, the token check and every RPC
endpoint's state, score, latency, head and head lag (SPEC §4.2, §10.4).

Exit code 1 when chain features are not configured or every endpoint is down.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sigmatrade.config import Config, load_config

PROBE_TIMEOUT = 5.0


def register(subparsers: Any) -> None:
    chain = subparsers.add_parser("chain", help="blockchain (BNB Smart Chain) tools")
    chain_sub = chain.add_subparsers(dest="chain_command", required=True)
    chain_sub.add_parser(
        "status", help="deposit cursor, chain head and lag, RPC endpoints (exit 1 when all are down)"
    ).set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    config = load_config()
    if not config.bsc_rpc_urls:
        print("chain: not configured (BSC_RPC_URLS is empty): deposit watcher and payout sender are disabled")
        return 1
    lines, code = asyncio.run(status_report(config))
    print("\n".join(lines))
    return code


async def _cursor_line(config: Config) -> tuple[str, int | None]:
    from sigmatrade.chain.runtime import DEPOSIT_CURSOR, read_cursor, sqlite_file_missing
    from sigmatrade.db.session import Database

    if sqlite_file_missing(config.database_url):
        return "cursor: unavailable (the database file does not exist)", None
    db = Database(config.database_url)
    try:
        cursor = await asyncio.wait_for(read_cursor(db), 10)
    except Exception as exc:
        return f"cursor: unavailable ({type(exc).__name__})", None
    finally:
        await db.dispose()
    if cursor is None:
        return f"cursor: {DEPOSIT_CURSOR} not set yet (the deposit watcher has not scanned)", None
    block_hash = f", hash {cursor.last_block_hash}" if cursor.last_block_hash else ""
    return (
        f"cursor: {cursor.name} last_block {cursor.last_block}{block_hash}, chunk size {cursor.chunk_size}",
        cursor.last_block,
    )


def _fmt(value: Any, suffix: str = "") -> str:
    return "-" if value is None else f"{value}{suffix}"


async def status_report(config: Config) -> tuple[list[str], int]:
    """The lines ``chain status`` prints and its exit code."""
    from sigmatrade.chain.provider import ProviderManager, RpcError
    from sigmatrade.chain.token import decode_uint, encode_decimals

    cursor_line, cursor_block = await _cursor_line(config)
    lines = [f"chain id: {config.chain_id} (plan {config.chain_rpc_plan})", cursor_line]
    try:
        provider = ProviderManager(
            config.bsc_rpc_urls,
            chain_id=config.chain_id,
            limits=config.rpc_limits,
            timeout=PROBE_TIMEOUT,
        )
    except ValueError as exc:
        return [*lines, f"chain: BSC_RPC_URLS is invalid: {exc}"], 1
    try:
        await provider.start()
        await provider.probe_all()
        head = provider.head()
        if head is None:
            lines.append("head: unknown")
        elif cursor_block is None:
            lines.append(f"head: {head}")
        else:
            lines.append(f"head: {head} (cursor lag {max(0, head - cursor_block)} blocks)")
        if any(ep.consecutive_failures == 0 and ep.chain_ok for ep in provider.endpoints):
            try:
                decimals = decode_uint(
                    await provider.eth_call(config.usdt_contract_address, encode_decimals())
                )
                verdict = (
                    "ok" if decimals == config.usdt_decimals else "MISMATCH: watcher and sender disabled"
                )
                lines.append(
                    f"token: {config.usdt_contract_address} decimals() {decimals}, "
                    f"USDT_DECIMALS {config.usdt_decimals}: {verdict}"
                )
            except (RpcError, ValueError) as exc:
                lines.append(f"token: {config.usdt_contract_address} decimals() unreadable ({exc})")
        statuses = provider.status()
        best = provider.best()
    finally:
        await provider.close()
    width = max(len("endpoint"), *(len(s.label) for s in statuses))
    lines.append("endpoints:")
    lines.append(
        f"  {'endpoint':<{width}}  {'state':<8}  {'score':>5}  {'latency':>10}  {'head':>10}  {'head lag':>8}"
    )
    answering = 0
    for s in statuses:
        # one-shot view: an endpoint whose last request failed is down for the operator
        failing = not s.chain_ok or s.consecutive_failures > 0
        answering += not failing
        state = "down" if failing else s.state
        marker = "  (best)" if best is not None and best.label == s.label and not failing else ""
        note = ""
        if not s.chain_ok:
            note = "  (wrong chain id)"
        elif failing and s.last_error:
            note = f"  ({s.last_error[:120]})"
        latency = _fmt(s.latency_ms if s.latency_ms or not failing else None, " ms")
        lines.append(
            f"  {s.label:<{width}}  {state:<8}  {s.score:>5.1f}  {latency:>10}  "
            f"{_fmt(s.head):>10}  {s.head_lag:>8}{marker}{note}"
        )
    if not answering:
        lines.append("chain: ALL RPC ENDPOINTS ARE DOWN")
        return lines, 1
    return lines, 0
