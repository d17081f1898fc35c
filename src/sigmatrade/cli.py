"""Operator CLI (SPEC §10.4). Exit codes: 0 success, 1 failure/violation, 2 usage."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

from sigmatrade.clicmds import opened
from sigmatrade.clicmds import reconcile as reconcile_cmd
from sigmatrade.config import Config, ConfigError, load_config


def _config() -> Config:
    return load_config()


def _fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from sigmatrade.ops import heap

    heap.pause()  # until the process is built (Application.start settles it)
    try:
        from sigmatrade.app import Application, Components
        from sigmatrade.logging import setup_logging

        config = _config()
        components = Components(bot=not args.no_bot, jobs=not args.no_jobs, http=not args.no_http)
        if components.bot:
            config.require_bot_token()
        setup_logging(config.log_level, config.effective_log_format, config.log_file)
        return asyncio.run(Application(config, components).run_forever())
    finally:
        heap.resume()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from sigmatrade.db import schema

    config = _config()

    async def go() -> str | None:
        async with opened(config, upgrade=True) as db:
            return await schema.current_revision(db.engine)

    revision = asyncio.run(go())
    print(f"database upgraded to revision {revision}")
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    from sigmatrade.ledger.check import run_check

    config = _config()

    async def go() -> Any:
        async with opened(config) as db, db.session() as session:
            return await run_check(session)

    report = asyncio.run(go())
    print(report.render())
    return 0 if report.ok else 1


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from sigmatrade.services import audit

    config = _config()

    async def go() -> Any:
        async with opened(config) as db, db.session() as session:
            return await audit.verify(session)

    result = asyncio.run(go())
    print(result.render())
    return 0 if result.ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from sigmatrade.demo import main as demo_main

    return asyncio.run(demo_main(keep=args.keep, verbose=args.verbose))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sigmatrade", description="SigmaTrade bot operator CLI")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the service (bot, jobs, HTTP)")
    run.add_argument("--no-bot", action="store_true")
    run.add_argument("--no-jobs", action="store_true")
    run.add_argument("--no-http", action="store_true")
    run.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply schema revisions up to the latest").set_defaults(
        func=cmd_db_upgrade
    )

    ledger = sub.add_parser("ledger", help="ledger tools")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True)
    ledger_sub.add_parser("check", help="verify the ledger invariants").set_defaults(func=cmd_ledger_check)
    reconcile_cmd.register(ledger_sub)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="verify the audit hash chain").set_defaults(func=cmd_audit_verify)

    demo = sub.add_parser(
        "demo", help="scripted end-to-end run against the built-in emulator and a local chain"
    )
    demo.add_argument("--keep", action="store_true", help="keep the temporary directory")
    demo.add_argument("--verbose", action="store_true", help="show application logs")
    demo.set_defaults(func=cmd_demo)

    for extra in _extensions():
        extra(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """Sub-command groups contributed by feature modules (``sigmatrade.clicmds.*.register``)."""
    import importlib
    import pkgutil

    from sigmatrade import clicmds

    modules = [
        importlib.import_module(f"{clicmds.__name__}.{info.name}")
        for info in pkgutil.iter_modules(clicmds.__path__)
    ]
    return [m.register for m in sorted(modules, key=lambda m: m.__name__)]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ConfigError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
