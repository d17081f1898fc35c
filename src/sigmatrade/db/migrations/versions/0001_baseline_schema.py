"""baseline schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24 09:05:27.736692
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sigmatrade.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _inline_fk(cols: list[str], table: str, name: str) -> list[sa.ForeignKeyConstraint]:
    """FKs of reference cycles: inline on SQLite, added after both tables exist elsewhere."""
    if _is_pg():
        return []
    return [sa.ForeignKeyConstraint(cols, [f"{table}.id"], name=op.f(name))]


def _pg_check(expr: str, name: str) -> list[sa.CheckConstraint]:
    """CHECKs comparing money columns with each other: exact on PostgreSQL only (SQLite stores text)."""
    return [sa.CheckConstraint(expr, name=op.f(name))] if _is_pg() else []


_AUDIT_GUARD_PG = [
    "CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_immutable()",
]

_AUDIT_GUARD_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]


def _finish_upgrade() -> None:
    if _is_pg():
        op.create_foreign_key(
            op.f("fk_chain_transfers_deposit_id_deposits"),
            "chain_transfers",
            "deposits",
            ["deposit_id"],
            ["id"],
        )
        op.create_foreign_key(
            op.f("fk_unmatched_deposits_refund_payout_id_payouts"),
            "unmatched_deposits",
            "payouts",
            ["refund_payout_id"],
            ["id"],
        )
        for statement in _AUDIT_GUARD_PG:
            op.execute(statement)
    else:
        for statement in _AUDIT_GUARD_SQLITE:
            op.execute(statement)


def _start_downgrade() -> None:
    if _is_pg():
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_immutable()")
        op.drop_constraint(
            op.f("fk_unmatched_deposits_refund_payout_id_payouts"), "unmatched_deposits", type_="foreignkey"
        )
        op.drop_constraint(
            op.f("fk_chain_transfers_deposit_id_deposits"), "chain_transfers", type_="foreignkey"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def upgrade() -> None:
    op.create_table(
        "admins",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=14), nullable=False),
        sa.Column("master_key_hash", sa.String(length=255), nullable=True),
        sa.Column("failed_login_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_via", sa.String(length=9), nullable=False),
        sa.Column("removed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "created_via IN ('bootstrap', 'cli', 'bot')", name=op.f("ck_admins_created_via_enum")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'extended_admin', 'super_admin')", name=op.f("ck_admins_role_enum")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_admin_id"], ["admins.id"], name=op.f("fk_admins_created_by_admin_id_admins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admins")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_admins_telegram_id")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("actor_type", sa.String(length=8), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "actor_type IN ('user', 'admin', 'system', 'cli')", name=op.f("ck_audit_log_actor_type_enum")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"], unique=False)
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_type", "actor_id"], unique=False)
    op.create_table(
        "chain_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block_hash", sa.String(length=66), nullable=True),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_chain_cursors")),
    )
    op.create_table(
        "fsm_states",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=128), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_fsm_states")),
    )
    op.create_index("ix_fsm_states_updated", "fsm_states", ["updated_at"], unique=False)
    op.create_table(
        "job_leases",
        sa.Column("job_name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_status", sa.String(length=8), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "last_status IS NULL OR last_status IN ('ok', 'error', 'skipped')",
            name=op.f("ck_job_leases_last_status_enum"),
        ),
        sa.PrimaryKeyConstraint("job_name", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "wallet_keys",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("encrypted_key", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("created_via", sa.String(length=8), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("created_via = 'cli'", name=op.f("ck_wallet_keys_created_via_cli")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_keys")),
        sa.UniqueConstraint("address", name=op.f("uq_wallet_keys_address")),
    )
    op.create_table(
        "wallet_nonces",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_wallet_nonces")),
    )
    op.create_table(
        "admin_sessions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "revoke_reason IS NULL OR revoke_reason IN ('logout', 'new_login', 'key_reset', 'removed', 'expired')",
            name=op.f("ck_admin_sessions_revoke_reason_enum"),
        ),
        sa.ForeignKeyConstraint(["admin_id"], ["admins.id"], name=op.f("fk_admin_sessions_admin_id_admins")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
    )
    op.create_index(
        "ix_admin_sessions_admin_live",
        "admin_sessions",
        ["admin_id", "expires_at"],
        unique=False,
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "blacklist",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("wallet_address_lc", sa.String(length=42), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "telegram_id IS NOT NULL OR wallet_address_lc IS NOT NULL", name=op.f("ck_blacklist_has_target")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_admin_id"], ["admins.id"], name=op.f("fk_blacklist_created_by_admin_id_admins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklist")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_blacklist_telegram_id")),
        sa.UniqueConstraint("wallet_address_lc", name=op.f("uq_blacklist_wallet_address_lc")),
    )
    op.create_table(
        "broadcasts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column(
            "created_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("content_kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("button_text", sa.String(length=64), nullable=True),
        sa.Column("button_url", sa.String(length=512), nullable=True),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("started_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "cancelled_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "audience IN ('all', 'lang_ru', 'lang_en')", name=op.f("ck_broadcasts_audience_enum")
        ),
        sa.CheckConstraint(
            "content_kind IN ('text', 'photo', 'voice', 'audio', 'document', 'video')",
            name=op.f("ck_broadcasts_content_kind_enum"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'cancelled')",
            name=op.f("ck_broadcasts_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_admin_id"], ["admins.id"], name=op.f("fk_broadcasts_cancelled_by_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_admin_id"], ["admins.id"], name=op.f("fk_broadcasts_created_by_admin_id_admins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(
        "ix_broadcasts_creator_created", "broadcasts", ["created_by_admin_id", "created_at"], unique=False
    )
    op.create_table(
        "journal_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("entry_type", sa.String(length=19), nullable=False),
        sa.Column("reference_type", sa.String(length=32), nullable=True),
        sa.Column("reference_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("created_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entry_type IN ('deposit_confirmed', 'unmatched_received', 'unmatched_assigned', 'unmatched_ignored', 'refund_settled', 'reward_accrual', 'referral_commission', 'withdrawal_hold', 'withdrawal_release', 'payout_settled', 'adjustment')",
            name=op.f("ck_journal_entries_entry_type_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_admin_id"], ["admins.id"], name=op.f("fk_journal_entries_created_by_admin_id_admins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_journal_entries_idempotency_key")),
    )
    op.create_index(
        "ix_journal_entries_reference", "journal_entries", ["reference_type", "reference_id"], unique=False
    )
    op.create_table(
        "reward_sessions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate_level_1", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("rate_level_2", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("rate_level_3", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("rate_level_4", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("rate_level_5", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("starts_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("deactivated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f("ck_reward_sessions_name_nonempty")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_reward_sessions_window_order")),
        sa.CheckConstraint(
            "rate_level_1 >= 0 AND rate_level_2 >= 0 AND rate_level_3 >= 0 AND rate_level_4 >= 0 AND rate_level_5 >= 0",
            name=op.f("ck_reward_sessions_rates_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_admin_id"], ["admins.id"], name=op.f("fk_reward_sessions_created_by_admin_id_admins")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_sessions")),
    )
    op.create_table(
        "system_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_admin_id"], ["admins.id"], name=op.f("fk_system_settings_updated_by_admin_id_admins")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_system_settings")),
    )
    op.create_table(
        "users",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("username_lc", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("telegram_language_code", sa.String(length=16), nullable=True),
        sa.Column("wallet_address", sa.String(length=42), nullable=False),
        sa.Column("wallet_address_lc", sa.String(length=42), nullable=False),
        sa.Column("referral_code", sa.String(length=16), nullable=False),
        sa.Column("referrer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("finpass_hash", sa.String(length=255), nullable=False),
        sa.Column("finpass_failed_attempts", sa.Integer(), nullable=False),
        sa.Column("finpass_locked_until", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finpass_updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("verified_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_banned", sa.Boolean(), nullable=False),
        sa.Column("banned_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ban_reason", sa.Text(), nullable=True),
        sa.Column("banned_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("earnings_blocked", sa.Boolean(), nullable=False),
        sa.Column("is_unreachable", sa.Boolean(), nullable=False),
        sa.Column("unreachable_since", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accrual_notifications", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "language IS NULL OR language IN ('ru', 'en')", name=op.f("ck_users_language_enum")
        ),
        sa.CheckConstraint(
            "referrer_id IS NULL OR referrer_id <> id", name=op.f("ck_users_referrer_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["banned_by_admin_id"], ["admins.id"], name=op.f("fk_users_banned_by_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(["referrer_id"], ["users.id"], name=op.f("fk_users_referrer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("referral_code", name=op.f("uq_users_referral_code")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
        sa.UniqueConstraint("wallet_address_lc", name=op.f("uq_users_wallet_address_lc")),
    )
    op.create_index(
        "ix_users_earnings_blocked",
        "users",
        ["earnings_blocked"],
        unique=False,
        postgresql_where=sa.text("earnings_blocked = true"),
        sqlite_where=sa.text("earnings_blocked = true"),
    )
    op.create_index(op.f("ix_users_referrer_id"), "users", ["referrer_id"], unique=False)
    op.create_index(op.f("ix_users_username_lc"), "users", ["username_lc"], unique=False)
    op.create_table(
        "wallet_change_requests",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("type", sa.String(length=14), nullable=False),
        sa.Column("old_address", sa.String(length=42), nullable=True),
        sa.Column("new_address", sa.String(length=42), nullable=False),
        sa.Column("wallet_key_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "initiated_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "approved_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "rejected_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("applied_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(type = 'payout') = (wallet_key_id IS NOT NULL)",
            name=op.f("ck_wallet_change_requests_key_for_payout"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'applied', 'rejected')",
            name=op.f("ck_wallet_change_requests_status_enum"),
        ),
        sa.CheckConstraint(
            "type IN ('system_deposit', 'payout')", name=op.f("ck_wallet_change_requests_type_enum")
        ),
        sa.ForeignKeyConstraint(
            ["applied_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_wallet_change_requests_applied_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_wallet_change_requests_approved_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(
            ["initiated_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_wallet_change_requests_initiated_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_wallet_change_requests_rejected_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(
            ["wallet_key_id"],
            ["wallet_keys.id"],
            name=op.f("fk_wallet_change_requests_wallet_key_id_wallet_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_change_requests")),
    )
    op.create_index(
        "uq_wallet_change_requests_open_type",
        "wallet_change_requests",
        ["type"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
        sqlite_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.create_table(
        "broadcast_deliveries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("broadcast_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_broadcast_deliveries_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"], ["broadcasts.id"], name=op.f("fk_broadcast_deliveries_broadcast_id_broadcasts")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_broadcast_deliveries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_deliveries")),
    )
    op.create_index(
        "ix_broadcast_deliveries_broadcast_status_id",
        "broadcast_deliveries",
        ["broadcast_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "uq_broadcast_deliveries_broadcast_user",
        "broadcast_deliveries",
        ["broadcast_id", "user_id"],
        unique=True,
    )
    op.create_table(
        "chain_transfers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("token_address", sa.String(length=42), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("raw_value", sigmatrade.db.types.Uint256(), nullable=False),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("match_status", sa.String(length=9), nullable=False),
        sa.Column("unmatched_reason", sa.String(length=18), nullable=True),
        sa.Column("confirmation_status", sa.String(length=9), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("deposit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("detected_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("orphaned_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "confirmation_status IN ('pending', 'confirmed', 'orphaned')",
            name=op.f("ck_chain_transfers_confirmation_status_enum"),
        ),
        sa.CheckConstraint(
            "match_status IN ('matched', 'unmatched', 'dust')",
            name=op.f("ck_chain_transfers_match_status_enum"),
        ),
        sa.CheckConstraint(
            "unmatched_reason IS NULL OR unmatched_reason IN ('unknown_sender', 'no_pending_deposit', 'amount_mismatch', 'deposit_expired', 'user_banned')",
            name=op.f("ck_chain_transfers_unmatched_reason_enum"),
        ),
        *_inline_fk(["deposit_id"], "deposits", "fk_chain_transfers_deposit_id_deposits"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_chain_transfers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_transfers")),
    )
    op.create_index(
        "ix_chain_transfers_confirmation_block",
        "chain_transfers",
        ["confirmation_status", "block_number"],
        unique=False,
    )
    op.create_index(
        op.f("ix_chain_transfers_from_address"), "chain_transfers", ["from_address"], unique=False
    )
    op.create_index(
        "uq_chain_transfers_key", "chain_transfers", ["chain_id", "tx_hash", "log_index"], unique=True
    )
    op.create_table(
        "failed_notifications",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=11), nullable=False),
        sa.Column("next_retry_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("resolved_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('text', 'photo', 'voice', 'audio', 'document', 'video')",
            name=op.f("ck_failed_notifications_kind_enum"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'gave_up', 'unreachable')",
            name=op.f("ck_failed_notifications_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_failed_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_notifications")),
    )
    op.create_index(
        "ix_failed_notifications_status_next",
        "failed_notifications",
        ["status", "next_retry_at"],
        unique=False,
    )
    op.create_table(
        "finpass_recoveries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("user_note", sa.Text(), nullable=True),
        sa.Column("handled_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("handled_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("admin_comment", sa.Text(), nullable=True),
        sa.Column("completed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'in_review', 'sent', 'completed', 'rejected')",
            name=op.f("ck_finpass_recoveries_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_finpass_recoveries_handled_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_finpass_recoveries_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finpass_recoveries")),
    )
    op.create_index(
        "uq_finpass_recoveries_open_user",
        "finpass_recoveries",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'in_review', 'sent')"),
        sqlite_where=sa.text("status IN ('pending', 'in_review', 'sent')"),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("balance", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'system') = (user_id IS NULL)", name=op.f("ck_ledger_accounts_user_for_user_kinds")
        ),
        sa.CheckConstraint(
            "kind = 'system' OR balance >= 0", name=op.f("ck_ledger_accounts_user_balance_nonnegative")
        ),
        sa.CheckConstraint(
            "kind IN ('user_available', 'user_held', 'user_principal', 'system')",
            name=op.f("ck_ledger_accounts_kind_enum"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ledger_accounts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("code", name=op.f("uq_ledger_accounts_code")),
    )
    op.create_index("uq_ledger_accounts_user_kind", "ledger_accounts", ["user_id", "kind"], unique=True)
    op.create_table(
        "referral_commissions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source_type", sa.String(length=8), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("payer_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "beneficiary_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("rate", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("base_amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("skip_reason", sa.String(length=16), nullable=True),
        sa.Column("journal_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'credited') = (journal_entry_id IS NOT NULL)",
            name=op.f("ck_referral_commissions_entry_iff_credited"),
        ),
        sa.CheckConstraint(
            "skip_reason IS NULL OR skip_reason IN ('banned', 'earnings_blocked')",
            name=op.f("ck_referral_commissions_skip_reason_enum"),
        ),
        sa.CheckConstraint(
            "source_type IN ('deposit', 'accrual')", name=op.f("ck_referral_commissions_source_type_enum")
        ),
        sa.CheckConstraint(
            "status IN ('credited', 'skipped')", name=op.f("ck_referral_commissions_status_enum")
        ),
        sa.CheckConstraint("depth BETWEEN 1 AND 3", name=op.f("ck_referral_commissions_depth_range")),
        sa.ForeignKeyConstraint(
            ["beneficiary_user_id"],
            ["users.id"],
            name=op.f("fk_referral_commissions_beneficiary_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_referral_commissions_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["payer_user_id"], ["users.id"], name=op.f("fk_referral_commissions_payer_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_commissions")),
    )
    op.create_index(
        "ix_referral_commissions_beneficiary_created",
        "referral_commissions",
        ["beneficiary_user_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_referral_commissions_source_beneficiary",
        "referral_commissions",
        ["source_type", "source_id", "beneficiary_user_id"],
        unique=True,
    )
    op.create_table(
        "referrals",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ancestor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("descendant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ancestor_id <> descendant_id", name=op.f("ck_referrals_not_self")),
        sa.CheckConstraint("depth BETWEEN 1 AND 3", name=op.f("ck_referrals_depth_range")),
        sa.ForeignKeyConstraint(["ancestor_id"], ["users.id"], name=op.f("fk_referrals_ancestor_id_users")),
        sa.ForeignKeyConstraint(
            ["descendant_id"], ["users.id"], name=op.f("fk_referrals_descendant_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_ancestor_depth", "referrals", ["ancestor_id", "depth"], unique=False)
    op.create_index(
        "uq_referrals_ancestor_descendant", "referrals", ["ancestor_id", "descendant_id"], unique=True
    )
    op.create_index("uq_referrals_descendant_depth", "referrals", ["descendant_id", "depth"], unique=True)
    op.create_table(
        "support_tickets",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=11), nullable=False),
        sa.Column("assigned_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("last_user_message_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_admin_message_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=8), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('payments', 'withdrawals', 'finpass', 'referrals', 'tech', 'other')",
            name=op.f("ck_support_tickets_category_enum"),
        ),
        sa.CheckConstraint(
            "closed_by IS NULL OR closed_by IN ('user', 'admin', 'system')",
            name=op.f("ck_support_tickets_closed_by_enum"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'answered', 'closed')",
            name=op.f("ck_support_tickets_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_admin_id"], ["admins.id"], name=op.f("fk_support_tickets_assigned_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_support_tickets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    op.create_index(
        "ix_support_tickets_status_updated", "support_tickets", ["status", "updated_at"], unique=False
    )
    op.create_index(
        "uq_support_tickets_active_user",
        "support_tickets",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('open', 'in_progress', 'answered')"),
        sqlite_where=sa.text("status IN ('open', 'in_progress', 'answered')"),
    )
    op.create_table(
        "user_actions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_actions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_actions")),
    )
    op.create_index(op.f("ix_user_actions_action"), "user_actions", ["action"], unique=False)
    op.create_index(op.f("ix_user_actions_created_at"), "user_actions", ["created_at"], unique=False)
    op.create_table(
        "deposits",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("cap_amount", sigmatrade.db.types.Money(), nullable=True),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("received_amount", sigmatrade.db.types.Money(), nullable=True),
        sa.Column("accrued_total", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("accrual_period_seconds", sa.Integer(), nullable=True),
        sa.Column("detected_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "assigned_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('user', 'admin_assignment')", name=op.f("ck_deposits_source_enum")),
        sa.CheckConstraint(
            "status IN ('pending', 'detected', 'confirmed', 'completed', 'expired', 'cancelled')",
            name=op.f("ck_deposits_status_enum"),
        ),
        sa.CheckConstraint("accrued_total >= 0", name=op.f("ck_deposits_accrued_nonnegative")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_deposits_amount_positive")),
        *_pg_check("cap_amount IS NULL OR accrued_total <= cap_amount", "ck_deposits_accrued_within_cap"),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_deposits_level_range")),
        sa.ForeignKeyConstraint(
            ["assigned_by_admin_id"], ["admins.id"], name=op.f("fk_deposits_assigned_by_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["chain_transfers.id"], name=op.f("fk_deposits_transfer_id_chain_transfers")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_deposits_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposits")),
    )
    op.create_index("ix_deposits_status_expires", "deposits", ["status", "expires_at"], unique=False)
    op.create_index(
        "ix_deposits_status_level_confirmed", "deposits", ["status", "level", "confirmed_at"], unique=False
    )
    op.create_index(op.f("ix_deposits_user_id"), "deposits", ["user_id"], unique=False)
    op.create_index("ix_deposits_user_status", "deposits", ["user_id", "status"], unique=False)
    op.create_index(
        "uq_deposits_active_level1",
        "deposits",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("level = 1 AND status IN ('pending', 'detected', 'confirmed')"),
        sqlite_where=sa.text("level = 1 AND status IN ('pending', 'detected', 'confirmed')"),
    )
    op.create_index(
        "uq_deposits_once_level2plus",
        "deposits",
        ["user_id", "level"],
        unique=True,
        postgresql_where=sa.text("level >= 2 AND status IN ('confirmed', 'completed')"),
        sqlite_where=sa.text("level >= 2 AND status IN ('confirmed', 'completed')"),
    )
    op.create_index(
        "uq_deposits_open_level",
        "deposits",
        ["user_id", "level"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'detected')"),
        sqlite_where=sa.text("status IN ('pending', 'detected')"),
    )
    op.create_index(
        "uq_deposits_transfer",
        "deposits",
        ["transfer_id"],
        unique=True,
        postgresql_where=sa.text("transfer_id IS NOT NULL"),
        sqlite_where=sa.text("transfer_id IS NOT NULL"),
    )
    op.create_table(
        "ledger_postings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_postings_amount_nonzero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_ledger_postings_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_ledger_postings_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    op.create_index("ix_ledger_postings_account_id_id", "ledger_postings", ["account_id", "id"], unique=False)
    op.create_index(op.f("ix_ledger_postings_entry_id"), "ledger_postings", ["entry_id"], unique=False)
    op.create_table(
        "support_messages",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sender IN ('user', 'admin', 'system')", name=op.f("ck_support_messages_sender_enum")
        ),
        sa.CheckConstraint(
            "text IS NOT NULL OR attachments IS NOT NULL", name=op.f("ck_support_messages_has_content")
        ),
        sa.CheckConstraint(
            "text IS NULL OR length(text) <= 4000", name=op.f("ck_support_messages_text_length")
        ),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_support_messages_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["support_tickets.id"], name=op.f("fk_support_messages_ticket_id_support_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
    )
    op.create_index("ix_support_messages_ticket", "support_messages", ["ticket_id", "id"], unique=False)
    op.create_table(
        "reward_accruals",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("deposit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("accrued_at_period_end", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("base_amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("rate", sigmatrade.db.types.Rate(), nullable=False),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("trimmed", sa.Boolean(), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_reward_accruals_amount_positive")),
        sa.CheckConstraint("period_index >= 0", name=op.f("ck_reward_accruals_period_nonnegative")),
        sa.ForeignKeyConstraint(
            ["deposit_id"], ["deposits.id"], name=op.f("fk_reward_accruals_deposit_id_deposits")
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_reward_accruals_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["reward_sessions.id"],
            name=op.f("fk_reward_accruals_session_id_reward_sessions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reward_accruals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_accruals")),
        sa.UniqueConstraint("journal_entry_id", name=op.f("uq_reward_accruals_journal_entry_id")),
    )
    op.create_index("ix_reward_accruals_session", "reward_accruals", ["session_id"], unique=False)
    op.create_index(
        "ix_reward_accruals_user_created", "reward_accruals", ["user_id", "created_at"], unique=False
    )
    op.create_index(
        "uq_reward_accruals_deposit_period", "reward_accruals", ["deposit_id", "period_index"], unique=True
    )
    op.create_index(
        "uq_reward_accruals_deposit_session_period",
        "reward_accruals",
        ["deposit_id", "session_id", "period_index"],
        unique=True,
    )
    op.create_table(
        "unmatched_deposits",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("suspected_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("assigned_deposit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("refund_payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "resolved_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("resolved_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('unknown_sender', 'no_pending_deposit', 'amount_mismatch', 'deposit_expired', 'user_banned')",
            name=op.f("ck_unmatched_deposits_reason_enum"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'assigned', 'refund_pending', 'refunded', 'ignored')",
            name=op.f("ck_unmatched_deposits_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_deposit_id"],
            ["deposits.id"],
            name=op.f("fk_unmatched_deposits_assigned_deposit_id_deposits"),
        ),
        *_inline_fk(["refund_payout_id"], "payouts", "fk_unmatched_deposits_refund_payout_id_payouts"),
        sa.ForeignKeyConstraint(
            ["resolved_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_unmatched_deposits_resolved_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(
            ["suspected_user_id"], ["users.id"], name=op.f("fk_unmatched_deposits_suspected_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["chain_transfers.id"],
            name=op.f("fk_unmatched_deposits_transfer_id_chain_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmatched_deposits")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_unmatched_deposits_transfer_id")),
    )
    op.create_index(
        "ix_unmatched_deposits_status_created", "unmatched_deposits", ["status", "created_at"], unique=False
    )
    op.create_table(
        "payouts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=11), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "unmatched_deposit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("to_address", sa.String(length=42), nullable=False),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("fee", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("net_amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("raw_amount", sigmatrade.db.types.Uint256(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("required_approvals", sa.SmallInteger(), nullable=False),
        sa.Column("auto_approved", sa.Boolean(), nullable=False),
        sa.Column(
            "rejected_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("from_address", sa.String(length=42), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("dead_lettered", sa.Boolean(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("requested_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signing_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) = (kind = 'refund')", name=op.f("ck_payouts_user_unless_refund")
        ),
        sa.CheckConstraint(
            "kind IN ('withdrawal', 'auto_payout', 'refund')", name=op.f("ck_payouts_kind_enum")
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'signing', 'sent', 'confirmed', 'failed', 'cancelled', 'rejected')",
            name=op.f("ck_payouts_status_enum"),
        ),
        *_pg_check("amount = fee + net_amount", "ck_payouts_amount_split"),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_payouts_fee_nonnegative")),
        sa.CheckConstraint("net_amount > 0", name=op.f("ck_payouts_net_positive")),
        sa.CheckConstraint("required_approvals BETWEEN 0 AND 2", name=op.f("ck_payouts_approvals_range")),
        sa.ForeignKeyConstraint(
            ["rejected_by_admin_id"], ["admins.id"], name=op.f("fk_payouts_rejected_by_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["unmatched_deposit_id"],
            ["unmatched_deposits.id"],
            name=op.f("fk_payouts_unmatched_deposit_id_unmatched_deposits"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payouts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payouts_idempotency_key")),
    )
    op.create_index("ix_payouts_from_nonce", "payouts", ["from_address", "nonce"], unique=False)
    op.create_index("ix_payouts_status_created", "payouts", ["status", "created_at"], unique=False)
    op.create_index("ix_payouts_user_status", "payouts", ["user_id", "status"], unique=False)
    op.create_table(
        "payment_retries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("amount", sigmatrade.db.types.Money(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("next_retry_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_kind", sa.String(length=32), nullable=True),
        sa.Column("in_dlq", sa.Boolean(), nullable=False),
        sa.Column("dlq_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "resolved_by_admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("resolution", sa.String(length=9), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "error_kind IS NULL OR error_kind IN ('rpc', 'insufficient_usdt', 'insufficient_gas', 'reverted', 'stuck', 'nonce_conflict', 'other')",
            name=op.f("ck_payment_retries_error_kind_enum"),
        ),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('succeeded', 'refunded')",
            name=op.f("ck_payment_retries_resolution_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payment_retries_payout_id_payouts")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_payment_retries_resolved_by_admin_id_admins"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payment_retries_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_retries")),
    )
    op.create_index(
        "ix_payment_retries_dlq",
        "payment_retries",
        ["dlq_at"],
        unique=False,
        postgresql_where=sa.text("in_dlq = true AND resolved = false"),
        sqlite_where=sa.text("in_dlq = true AND resolved = false"),
    )
    op.create_index(
        "ix_payment_retries_due",
        "payment_retries",
        ["next_retry_at"],
        unique=False,
        postgresql_where=sa.text("resolved = false AND in_dlq = false"),
        sqlite_where=sa.text("resolved = false AND in_dlq = false"),
    )
    op.create_index(
        "uq_payment_retries_open_payout",
        "payment_retries",
        ["payout_id"],
        unique=True,
        postgresql_where=sa.text("resolved = false"),
        sqlite_where=sa.text("resolved = false"),
    )
    op.create_table(
        "payout_approvals",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("admin_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["admins.id"], name=op.f("fk_payout_approvals_admin_id_admins")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_approvals_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_approvals")),
    )
    op.create_index(
        "uq_payout_approvals_payout_admin", "payout_approvals", ["payout_id", "admin_id"], unique=True
    )
    op.create_table(
        "payout_transactions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_address", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("signed_raw", sa.Text(), nullable=False),
        sa.Column("gas_limit", sa.BigInteger(), nullable=False),
        sa.Column("gas_price_wei", sigmatrade.db.types.Uint256(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("broadcast_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mined_block", sa.BigInteger(), nullable=True),
        sa.Column("receipt_status", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sigmatrade.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('transfer', 'replacement', 'cancellation')",
            name=op.f("ck_payout_transactions_kind_enum"),
        ),
        sa.CheckConstraint(
            "status IN ('signed', 'broadcast', 'mined_success', 'mined_reverted', 'superseded')",
            name=op.f("ck_payout_transactions_status_enum"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_transactions_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_transactions")),
        sa.UniqueConstraint("tx_hash", name=op.f("uq_payout_transactions_tx_hash")),
    )
    op.create_index("ix_payout_transactions_payout", "payout_transactions", ["payout_id"], unique=False)
    _finish_upgrade()


def downgrade() -> None:
    _start_downgrade()
    op.drop_index("ix_payout_transactions_payout", table_name="payout_transactions")
    op.drop_table("payout_transactions")
    op.drop_index("uq_payout_approvals_payout_admin", table_name="payout_approvals")
    op.drop_table("payout_approvals")
    op.drop_index(
        "uq_payment_retries_open_payout",
        table_name="payment_retries",
        postgresql_where=sa.text("resolved = false"),
        sqlite_where=sa.text("resolved = false"),
    )
    op.drop_index(
        "ix_payment_retries_due",
        table_name="payment_retries",
        postgresql_where=sa.text("resolved = false AND in_dlq = false"),
        sqlite_where=sa.text("resolved = false AND in_dlq = false"),
    )
    op.drop_index(
        "ix_payment_retries_dlq",
        table_name="payment_retries",
        postgresql_where=sa.text("in_dlq = true AND resolved = false"),
        sqlite_where=sa.text("in_dlq = true AND resolved = false"),
    )
    op.drop_table("payment_retries")
    op.drop_index("ix_payouts_user_status", table_name="payouts")
    op.drop_index("ix_payouts_status_created", table_name="payouts")
    op.drop_index("ix_payouts_from_nonce", table_name="payouts")
    op.drop_table("payouts")
    op.drop_index("ix_unmatched_deposits_status_created", table_name="unmatched_deposits")
    op.drop_table("unmatched_deposits")
    op.drop_index("uq_reward_accruals_deposit_session_period", table_name="reward_accruals")
    op.drop_index("uq_reward_accruals_deposit_period", table_name="reward_accruals")
    op.drop_index("ix_reward_accruals_user_created", table_name="reward_accruals")
    op.drop_index("ix_reward_accruals_session", table_name="reward_accruals")
    op.drop_table("reward_accruals")
    op.drop_index("ix_support_messages_ticket", table_name="support_messages")
    op.drop_table("support_messages")
    op.drop_index(op.f("ix_ledger_postings_entry_id"), table_name="ledger_postings")
    op.drop_index("ix_ledger_postings_account_id_id", table_name="ledger_postings")
    op.drop_table("ledger_postings")
    op.drop_index(
        "uq_deposits_transfer",
        table_name="deposits",
        postgresql_where=sa.text("transfer_id IS NOT NULL"),
        sqlite_where=sa.text("transfer_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_deposits_open_level",
        table_name="deposits",
        postgresql_where=sa.text("status IN ('pending', 'detected')"),
        sqlite_where=sa.text("status IN ('pending', 'detected')"),
    )
    op.drop_index(
        "uq_deposits_once_level2plus",
        table_name="deposits",
        postgresql_where=sa.text("level >= 2 AND status IN ('confirmed', 'completed')"),
        sqlite_where=sa.text("level >= 2 AND status IN ('confirmed', 'completed')"),
    )
    op.drop_index(
        "uq_deposits_active_level1",
        table_name="deposits",
        postgresql_where=sa.text("level = 1 AND status IN ('pending', 'detected', 'confirmed')"),
        sqlite_where=sa.text("level = 1 AND status IN ('pending', 'detected', 'confirmed')"),
    )
    op.drop_index("ix_deposits_user_status", table_name="deposits")
    op.drop_index(op.f("ix_deposits_user_id"), table_name="deposits")
    op.drop_index("ix_deposits_status_level_confirmed", table_name="deposits")
    op.drop_index("ix_deposits_status_expires", table_name="deposits")
    op.drop_table("deposits")
    op.drop_index(op.f("ix_user_actions_created_at"), table_name="user_actions")
    op.drop_index(op.f("ix_user_actions_action"), table_name="user_actions")
    op.drop_table("user_actions")
    op.drop_index(
        "uq_support_tickets_active_user",
        table_name="support_tickets",
        postgresql_where=sa.text("status IN ('open', 'in_progress', 'answered')"),
        sqlite_where=sa.text("status IN ('open', 'in_progress', 'answered')"),
    )
    op.drop_index("ix_support_tickets_status_updated", table_name="support_tickets")
    op.drop_table("support_tickets")
    op.drop_index("uq_referrals_descendant_depth", table_name="referrals")
    op.drop_index("uq_referrals_ancestor_descendant", table_name="referrals")
    op.drop_index("ix_referrals_ancestor_depth", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("uq_referral_commissions_source_beneficiary", table_name="referral_commissions")
    op.drop_index("ix_referral_commissions_beneficiary_created", table_name="referral_commissions")
    op.drop_table("referral_commissions")
    op.drop_index("uq_ledger_accounts_user_kind", table_name="ledger_accounts")
    op.drop_table("ledger_accounts")
    op.drop_index(
        "uq_finpass_recoveries_open_user",
        table_name="finpass_recoveries",
        postgresql_where=sa.text("status IN ('pending', 'in_review', 'sent')"),
        sqlite_where=sa.text("status IN ('pending', 'in_review', 'sent')"),
    )
    op.drop_table("finpass_recoveries")
    op.drop_index("ix_failed_notifications_status_next", table_name="failed_notifications")
    op.drop_table("failed_notifications")
    op.drop_index("uq_chain_transfers_key", table_name="chain_transfers")
    op.drop_index(op.f("ix_chain_transfers_from_address"), table_name="chain_transfers")
    op.drop_index("ix_chain_transfers_confirmation_block", table_name="chain_transfers")
    op.drop_table("chain_transfers")
    op.drop_index("uq_broadcast_deliveries_broadcast_user", table_name="broadcast_deliveries")
    op.drop_index("ix_broadcast_deliveries_broadcast_status_id", table_name="broadcast_deliveries")
    op.drop_table("broadcast_deliveries")
    op.drop_index(
        "uq_wallet_change_requests_open_type",
        table_name="wallet_change_requests",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
        sqlite_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.drop_table("wallet_change_requests")
    op.drop_index(op.f("ix_users_username_lc"), table_name="users")
    op.drop_index(op.f("ix_users_referrer_id"), table_name="users")
    op.drop_index(
        "ix_users_earnings_blocked",
        table_name="users",
        postgresql_where=sa.text("earnings_blocked = true"),
        sqlite_where=sa.text("earnings_blocked = true"),
    )
    op.drop_table("users")
    op.drop_table("system_settings")
    op.drop_table("reward_sessions")
    op.drop_index("ix_journal_entries_reference", table_name="journal_entries")
    op.drop_table("journal_entries")
    op.drop_index("ix_broadcasts_creator_created", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_table("blacklist")
    op.drop_index(
        "ix_admin_sessions_admin_live",
        table_name="admin_sessions",
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_table("admin_sessions")
    op.drop_table("wallet_nonces")
    op.drop_table("wallet_keys")
    op.drop_table("job_leases")
    op.drop_index("ix_fsm_states_updated", table_name="fsm_states")
    op.drop_table("fsm_states")
    op.drop_table("chain_cursors")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("admins")
