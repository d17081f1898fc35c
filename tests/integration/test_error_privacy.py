"""A failed statement's error, which the error middleware logs with its traceback, never carries the
statement's parameters: they may be a finpass hash, an encrypted key or what a user typed."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from sigmatrade.db.models import SystemSetting
from sigmatrade.db.session import Database

SECRET = "what-the-user-typed-7f3a"


async def test_a_failed_statements_error_does_not_carry_its_parameters(db: Database) -> None:
    async with db.transaction() as session:
        session.add(SystemSetting(key="privacy.test", value="first"))
    with pytest.raises(IntegrityError) as failed:
        async with db.transaction() as session:
            session.add(SystemSetting(key="privacy.test", value=SECRET))
    assert "system_settings" in str(failed.value)  # the statement is still named
    assert SECRET not in str(failed.value)
