"""The operator CLI as a subprocess: db upgrade, ledger check (pass and fail), run without a token."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from sigmatrade.db import schema
from sigmatrade.db.session import Database
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post
from tests.factories import make_payout, make_user


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "TEST_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sigmatrade", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_run_without_token_exits_with_one_line(tmp_path: Path) -> None:
    result = _cli("run", env={"BOT_TOKEN": ""}, cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["configuration error: BOT_TOKEN is required (the bot's token from @BotFather)"]
    assert result.stdout == ""


def test_malformed_variable_named(tmp_path: Path) -> None:
    result = _cli("run", env={"BOT_TOKEN": "1:x", "CHAIN_ID": "fifty-six"}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("configuration error: CHAIN_ID:")


def test_db_upgrade_on_empty_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = _cli("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"revision {schema.head_revision()}" in result.stdout


async def test_ledger_check_passes_then_fails(db: Database, db_url: str, tmp_path: Path) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        await post(session, entries.adjustment(user.id, Decimal("25.5"), "seed", key="adjust:cli"))
        payout = await make_payout(session, user, Decimal("5"))
        await post(session, entries.withdrawal_hold(payout.id, user.id, Decimal("5")))
    ok = _cli("ledger", "check", env={"DATABASE_URL": db_url}, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "result: OK" in ok.stdout
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE ledger_accounts SET balance = '30' WHERE code = :c")
            if db.is_sqlite
            else text("UPDATE ledger_accounts SET balance = 30 WHERE code = :c"),
            {"c": f"user:{user.id}:available"},
        )
    bad = _cli("ledger", "check", env={"DATABASE_URL": db_url}, cwd=tmp_path)
    assert bad.returncode == 1
    assert f"account user:{user.id}:available" in bad.stdout and "cached 30" in bad.stdout


@pytest.mark.parametrize("args", [["nonsense"], []])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    assert _cli(*args, cwd=tmp_path).returncode == 2


async def test_settings_cli_validates_each_value_and_the_rules_between_them(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    """`sigmatrade settings` is the operator's way to the kill switches (a restore turns payouts off):
    a value is parsed as the catalogue types it, and a change that breaks a rule between settings is
    refused and changes nothing."""
    env = {"DATABASE_URL": db_url}
    got = _cli("settings", "get", "withdrawal.min", env=env, cwd=tmp_path)
    assert got.returncode == 0 and got.stdout.strip() == "withdrawal.min = 5", got.stdout + got.stderr
    for key, value, why in (
        ("withdrawal.min", "2000000", "must not exceed withdrawal.max"),
        ("withdrawal.min", "0.50", "payout.min_net_amount"),
        ("referral.rates", "50 40 30", "100 %"),
        ("deposit.tolerance_fixed", "10", "smallest level amount"),
        ("withdrawal.enabled", "maybe", "error:"),
        ("no.such.key", "1", "unknown setting"),
    ):
        refused = _cli("settings", "set", key, value, env=env, cwd=tmp_path)
        assert refused.returncode == 1 and why in refused.stderr, (key, refused.stdout, refused.stderr)
    again = _cli("settings", "get", "withdrawal.min", env=env, cwd=tmp_path)
    assert again.stdout.strip() == "withdrawal.min = 5"
    changed = _cli("settings", "set", "withdrawal.enabled", "off", env=env, cwd=tmp_path)
    assert changed.returncode == 0 and "withdrawal.enabled = off (was on)" in changed.stdout
    audit = _cli("audit", "verify", env=env, cwd=tmp_path)
    assert audit.returncode == 0, audit.stdout + audit.stderr
