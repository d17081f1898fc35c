"""Admin rows, sessions and bootstrap (SPEC §5.7)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Admin, AdminSession
from sigmatrade.domain.enums import AdminCreatedVia, AdminRole
from sigmatrade.logging import get_logger
from sigmatrade.services import audit
from sigmatrade.services.admin import access

log = get_logger("sigmatrade.admins")


async def has_live_session(session: AsyncSession, telegram_id: int) -> bool:
    stmt = (
        select(AdminSession.id)
        .join(Admin, Admin.id == AdminSession.admin_id)
        .where(
            Admin.telegram_id == telegram_id,
            Admin.removed_at.is_(None),
            *access.is_live(clock.now()),
        )
        .limit(1)
    )
    return (await session.scalar(stmt)) is not None


async def bootstrap(session: AsyncSession, telegram_ids: list[int]) -> list[int]:
    """Create missing super admins from SUPER_ADMIN_IDS; never change existing rows. Returns created ids."""
    created = []
    for telegram_id in telegram_ids:
        admin = await session.scalar(select(Admin).where(Admin.telegram_id == telegram_id))
        if admin is None:
            admin = Admin(
                telegram_id=telegram_id, role=AdminRole.SUPER_ADMIN, created_via=AdminCreatedVia.BOOTSTRAP
            )
            session.add(admin)
            await session.flush()
            await audit.log(
                session,
                audit.SYSTEM,
                "admin_added",
                target_type="admin",
                target_id=admin.id,
                details={"telegram_id": telegram_id, "role": AdminRole.SUPER_ADMIN, "via": "bootstrap"},
            )
            created.append(telegram_id)
        elif admin.role != AdminRole.SUPER_ADMIN or admin.removed_at is not None:
            log.warning(
                "bootstrap_admin_role_differs",
                telegram_id=telegram_id,
                role=admin.role,
                removed=admin.removed_at is not None,
            )
    return created
