"""reward calculator throughput (issue 11): deposits updated in place, one redundant index less

* ``deposits`` gets ``fillfactor = 50`` on PostgreSQL: every accrual batch rewrites the row of each
  deposit it accrues (``accrued_total``, ``updated_at``), and with half of each page free the new row
  version stays on its page with no indexed column changed — a HOT update, which writes none of the
  table's eight indexes (measured: 78 → 66 µs per accrual for the whole batch; docs/performance.md).
  The setting applies to pages written from now on; ``VACUUM FULL deposits`` in a maintenance window
  repacks existing rows. SQLite has no such setting.
* ``uq_reward_accruals_deposit_session_period`` is dropped: ``uq_reward_accruals_deposit_period``
  (deposit, period) already makes every (deposit, session, period) unique, and no query looks accruals
  up by deposit and session.

Revision ID: 0004_rewards_throughput
Revises: 0003_deposit_amount_tag
"""

from __future__ import annotations

from alembic import op

revision = "0004_rewards_throughput"
down_revision = "0003_deposit_amount_tag"
branch_labels = None
depends_on = None


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_pg():
        op.execute("ALTER TABLE deposits SET (fillfactor = 50)")
    op.drop_index("uq_reward_accruals_deposit_session_period", table_name="reward_accruals")


def downgrade() -> None:
    op.create_index(
        "uq_reward_accruals_deposit_session_period",
        "reward_accruals",
        ["deposit_id", "session_id", "period_index"],
        unique=True,
    )
    if _is_pg():
        op.execute("ALTER TABLE deposits RESET (fillfactor)")
