"""chain transfers keyed by their on-chain identity (issue 9, finding 2; SPEC §4.3.5)

A reorg can move a transfer to another log index: (chain id, tx hash, log index) is no identity. The
new key is ``domain.transfers.TransferIdentity.key`` (tx hash + the log's token, from, to, value and
occurrence within the transaction); ``log_index`` stays as the current position. Existing rows get
their occurrence (rank among rows of the same transaction and content, by log index) and key here.

Revision ID: 0002_transfer_identity
Revises: 0001
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from sigmatrade.domain.transfers import TransferIdentity, content, occurrences

revision = "0002_transfer_identity"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "chain_transfers", sa.Column("occurrence", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "chain_transfers",
        sa.Column("transfer_key", sa.String(length=64), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, chain_id, tx_hash, token_address, from_address, to_address, raw_value, log_index "
            "FROM chain_transfers"
        )
    ).all()
    parsed = [
        (row[0], int(row[1]), content(row[2], row[3], row[4], row[5], int(Decimal(str(row[6])))), row[7])
        for row in rows
    ]
    ranks = occurrences((what, int(index)) for _, _, what, index in parsed)
    for row_id, chain_id, what, index in parsed:
        occurrence = ranks[(what, int(index))]
        tx_hash, token, sender, recipient, value = what
        key = TransferIdentity(chain_id, tx_hash, token, sender, recipient, int(value), occurrence).key
        bind.execute(
            sa.text(
                "UPDATE chain_transfers SET occurrence = :occurrence, transfer_key = :key WHERE id = :id"
            ),
            {"occurrence": occurrence, "key": key, "id": row_id},
        )
    op.drop_index("uq_chain_transfers_key", table_name="chain_transfers")
    op.create_index("uq_chain_transfers_identity", "chain_transfers", ["transfer_key"], unique=True)
    op.create_index("ix_chain_transfers_tx", "chain_transfers", ["chain_id", "tx_hash"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_chain_transfers_tx", table_name="chain_transfers")
    op.drop_index("uq_chain_transfers_identity", table_name="chain_transfers")
    op.create_index(
        "uq_chain_transfers_key", "chain_transfers", ["chain_id", "tx_hash", "log_index"], unique=True
    )
    op.drop_column("chain_transfers", "transfer_key")
    op.drop_column("chain_transfers", "occurrence")
