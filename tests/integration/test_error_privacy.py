"""A failed statement's error, which the error middleware logs with its traceback, never carries the
statement's parameters: they may be a finpass hash, an encrypted key or what a user typed."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from sigmatrade.db.models import SystemSetting
from sigmatrade.db.session import Database
from sigmatrade.logging import format_exception

SECRET = "what-the-user-typed-7f3a"


async def test_a_failed_statements_error_does_not_carry_its_parameters(db: Database) -> None:
    async with db.transaction() as session:
        session.add(SystemSetting(key="privacy.test", value="first"))
    with pytest.raises(IntegrityError) as failed:
        async with db.transaction() as session:
            session.add(SystemSetting(key="privacy.test", value=SECRET))
    assert "system_settings" in str(failed.value)  # the statement is still named
    assert SECRET not in str(failed.value)


async def test_the_logged_traceback_holds_back_the_failing_row(db: Database) -> None:
    """PostgreSQL's DETAIL ("Failing row contains (...)") is in the driver's error, which the logged
    traceback prints as the cause of SQLAlchemy's."""
    with pytest.raises(IntegrityError) as failed:
        async with db.transaction() as session:
            session.add(SystemSetting(key=SECRET, value=None))  # type: ignore[arg-type]
    text, _ = format_exception(failed.value)
    assert "system_settings" in text
    assert SECRET not in text
