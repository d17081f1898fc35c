"""deposits.amount_tag: a unique amount tag per user deposit (issue 9, finding 12; docs/decisions.md)

Existing deposits keep no tag (NULL): they match by the tolerance rule as before.

Revision ID: 0003_deposit_amount_tag
Revises: 0002_transfer_identity
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sigmatrade.db.types

revision = "0003_deposit_amount_tag"
down_revision = "0002_transfer_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deposits", sa.Column("amount_tag", sigmatrade.db.types.Money(), nullable=True))


def downgrade() -> None:
    op.drop_column("deposits", "amount_tag")
