"""Enumerations of the data model (SPEC §2). Stored as short strings with CHECK constraints."""

from __future__ import annotations

from enum import StrEnum


class DepositStatus(StrEnum):
    PENDING = "pending"
    DETECTED = "detected"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class DepositSource(StrEnum):
    USER = "user"
    ADMIN_ASSIGNMENT = "admin_assignment"


class MatchStatus(StrEnum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    DUST = "dust"


class UnmatchedReason(StrEnum):
    UNKNOWN_SENDER = "unknown_sender"
    NO_PENDING_DEPOSIT = "no_pending_deposit"
    AMOUNT_MISMATCH = "amount_mismatch"
    DEPOSIT_EXPIRED = "deposit_expired"
    USER_BANNED = "user_banned"


class ConfirmationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ORPHANED = "orphaned"


class UnmatchedStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    IGNORED = "ignored"


class AccountKind(StrEnum):
    USER_AVAILABLE = "user_available"
    USER_HELD = "user_held"
    USER_PRINCIPAL = "user_principal"
    SYSTEM = "system"


class SystemAccount(StrEnum):
    DEPOSITS_RECEIVED = "deposits_received"
    REWARDS_EXPENSE = "rewards_expense"
    REFERRAL_EXPENSE = "referral_expense"
    PAYOUTS = "payouts"
    FEES = "fees"
    UNMATCHED_SUSPENSE = "unmatched_suspense"
    ADJUSTMENTS = "adjustments"


class EntryType(StrEnum):
    DEPOSIT_CONFIRMED = "deposit_confirmed"
    UNMATCHED_RECEIVED = "unmatched_received"
    UNMATCHED_ASSIGNED = "unmatched_assigned"
    UNMATCHED_IGNORED = "unmatched_ignored"
    REFUND_SETTLED = "refund_settled"
    REWARD_ACCRUAL = "reward_accrual"
    REFERRAL_COMMISSION = "referral_commission"
    WITHDRAWAL_HOLD = "withdrawal_hold"
    WITHDRAWAL_RELEASE = "withdrawal_release"
    PAYOUT_SETTLED = "payout_settled"
    ADJUSTMENT = "adjustment"


class CommissionSource(StrEnum):
    DEPOSIT = "deposit"
    ACCRUAL = "accrual"


class CommissionStatus(StrEnum):
    CREDITED = "credited"
    SKIPPED = "skipped"


class CommissionSkipReason(StrEnum):
    BANNED = "banned"
    EARNINGS_BLOCKED = "earnings_blocked"


class PayoutKind(StrEnum):
    WITHDRAWAL = "withdrawal"
    AUTO_PAYOUT = "auto_payout"
    REFUND = "refund"


class PayoutStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    SIGNING = "signing"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


# Approved and not finished: the pipeline works on these (attempts, retries, the DLQ).
IN_FLIGHT_STATUSES = (PayoutStatus.APPROVED, PayoutStatus.SIGNING, PayoutStatus.SENT)
OPEN_PAYOUT_STATUSES = (PayoutStatus.REQUESTED, *IN_FLIGHT_STATUSES)


class PayoutTxKind(StrEnum):
    TRANSFER = "transfer"
    REPLACEMENT = "replacement"
    CANCELLATION = "cancellation"


class PayoutTxStatus(StrEnum):
    SIGNED = "signed"
    BROADCAST = "broadcast"
    MINED_SUCCESS = "mined_success"
    MINED_REVERTED = "mined_reverted"
    SUPERSEDED = "superseded"


class RetryErrorKind(StrEnum):
    RPC = "rpc"
    INSUFFICIENT_USDT = "insufficient_usdt"
    INSUFFICIENT_GAS = "insufficient_gas"
    REVERTED = "reverted"
    STUCK = "stuck"
    NONCE_CONFLICT = "nonce_conflict"
    OTHER = "other"


class RetryResolution(StrEnum):
    SUCCEEDED = "succeeded"
    REFUNDED = "refunded"


class AdminRole(StrEnum):
    ADMIN = "admin"
    EXTENDED_ADMIN = "extended_admin"
    SUPER_ADMIN = "super_admin"


ROLE_RANK = {AdminRole.ADMIN: 1, AdminRole.EXTENDED_ADMIN: 2, AdminRole.SUPER_ADMIN: 3}


class AdminCreatedVia(StrEnum):
    BOOTSTRAP = "bootstrap"
    CLI = "cli"
    BOT = "bot"


class SessionRevokeReason(StrEnum):
    LOGOUT = "logout"
    NEW_LOGIN = "new_login"
    KEY_RESET = "key_reset"
    REMOVED = "removed"
    EXPIRED = "expired"


class RecoveryStatus(StrEnum):
    PENDING = "pending"
    IN_REVIEW = "in_review"
    SENT = "sent"
    COMPLETED = "completed"
    REJECTED = "rejected"


class TicketCategory(StrEnum):
    PAYMENTS = "payments"
    WITHDRAWALS = "withdrawals"
    FINPASS = "finpass"
    REFERRALS = "referrals"
    TECH = "tech"
    OTHER = "other"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


class ClosedBy(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SYSTEM = "system"


class MessageSender(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SYSTEM = "system"


class WalletChangeType(StrEnum):
    SYSTEM_DEPOSIT = "system_deposit"
    PAYOUT = "payout"


class WalletChangeStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    APPLIED = "applied"
    REJECTED = "rejected"


class ActorType(StrEnum):
    USER = "user"
    ADMIN = "admin"
    SYSTEM = "system"
    CLI = "cli"


class ContentKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    DOCUMENT = "document"
    VIDEO = "video"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    GAVE_UP = "gave_up"
    UNREACHABLE = "unreachable"


class BroadcastAudience(StrEnum):
    ALL = "all"
    LANG_RU = "lang_ru"
    LANG_EN = "lang_en"


class BroadcastStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"
