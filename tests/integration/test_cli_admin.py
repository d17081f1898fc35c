"""``sigmatrade admin add|remove|list|reset-key`` as a subprocess (SPEC §10.4), and the key it prints
opens the admin panel through the real bot."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from sigmatrade.db.models import Admin, AdminSession, AuditLog
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import AdminRole
from sigmatrade.sandbox.harness import Harness
from tests.e2e.admin.helpers import login
from tests.integration.test_cli import _cli

KEY = re.compile(r"master key \(shown once\): ([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})")


def _key(stdout: str) -> str:
    found = KEY.search(stdout)
    assert found, stdout
    return found.group(1)


async def test_admin_cli_lifecycle(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url}
    first = _cli("admin", "add", "7001", "--role", "super_admin", "--username", "root", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "added (super_admin)" in first.stdout
    key = _key(first.stdout)
    assert _cli("admin", "add", "7001", env=env, cwd=tmp_path).returncode == 1  # exists
    second = _cli("admin", "add", "7002", env=env, cwd=tmp_path)
    assert second.returncode == 0 and "(admin)" in second.stdout
    listing = _cli("admin", "list", env=env, cwd=tmp_path)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert "super_admin" in lines[1] and "7001" in lines[1] and "root" in lines[1]
    assert "7002" in lines[2] and lines[-1] == "2 admin(s)"
    async with db.session() as session:
        row = await session.scalar(select(Admin).where(Admin.telegram_id == 7001))
        assert row is not None and row.master_key_hash and key not in row.master_key_hash
    refused = _cli("admin", "remove", "7001", env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "last super admin" in refused.stderr
    reset = _cli("admin", "reset-key", "7001", env=env, cwd=tmp_path)
    assert reset.returncode == 0 and _key(reset.stdout) != key
    assert _cli("admin", "remove", "7002", env=env, cwd=tmp_path).returncode == 0
    assert _cli("admin", "remove", "7002", env=env, cwd=tmp_path).returncode == 1  # not found now
    restored = _cli("admin", "add", "7002", "--role", "extended_admin", env=env, cwd=tmp_path)
    assert restored.returncode == 0 and "restored (extended_admin)" in restored.stdout
    assert _cli("admin", "remove", "x", env=env, cwd=tmp_path).returncode == 2  # usage
    async with db.session() as session:
        actions = (await session.scalars(select(AuditLog.action).where(AuditLog.actor_type == "cli"))).all()
        assert list(actions) == [
            "admin_added",
            "admin_added",
            "admin_key_reset",
            "admin_removed",
            "admin_restored",
        ]


async def test_printed_key_logs_in_and_reset_revokes_the_session(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url}
    h = Harness(db_url)
    await h.start()
    try:
        added = _cli("admin", "add", "7101", "--role", "super_admin", env=env, cwd=tmp_path)
        client = h.user(7101, "Root", language_code="en")
        ex = await login(client, _key(added.stdout))
        assert "Admin panel" in ex.text
        reset = _cli("admin", "reset-key", "7101", env=env, cwd=tmp_path)
        assert reset.returncode == 0
        async with h.rt.db.session() as session:
            live = await session.scalar(
                select(func.count()).select_from(AdminSession).where(AdminSession.revoked_at.is_(None))
            )
            assert live == 0
            admin = await session.scalar(select(Admin).where(Admin.telegram_id == 7101))
            assert admin is not None and admin.role == AdminRole.SUPER_ADMIN
        ex = await client.send("/session")
        assert "master key" in ex.text
        assert "Admin panel" in (await login(client, _key(reset.stdout))).text
    finally:
        await h.stop()
