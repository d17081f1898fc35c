"""All tables of SPEC §2. Importing this package registers every model on ``Base.metadata``."""

from sigmatrade.db.models.admin import Admin, AdminSession, AuditLog, FinpassRecovery, SystemSetting
from sigmatrade.db.models.chain import ChainCursor, ChainTransfer, Deposit, UnmatchedDeposit
from sigmatrade.db.models.ledger import JournalEntry, LedgerAccount, LedgerPosting
from sigmatrade.db.models.messaging import (
    Broadcast,
    BroadcastDelivery,
    FailedNotification,
    SupportMessage,
    SupportTicket,
)
from sigmatrade.db.models.ops import FsmState, JobLease, UserAction
from sigmatrade.db.models.payouts import (
    PaymentRetry,
    Payout,
    PayoutApproval,
    PayoutTransaction,
    WalletChangeRequest,
    WalletKey,
    WalletNonce,
)
from sigmatrade.db.models.rewards import ReferralCommission, RewardAccrual, RewardSession
from sigmatrade.db.models.users import Blacklist, Referral, User

__all__ = [
    "Admin",
    "AdminSession",
    "AuditLog",
    "Blacklist",
    "Broadcast",
    "BroadcastDelivery",
    "ChainCursor",
    "ChainTransfer",
    "Deposit",
    "FailedNotification",
    "FinpassRecovery",
    "FsmState",
    "JobLease",
    "JournalEntry",
    "LedgerAccount",
    "LedgerPosting",
    "PaymentRetry",
    "Payout",
    "PayoutApproval",
    "PayoutTransaction",
    "Referral",
    "ReferralCommission",
    "RewardAccrual",
    "RewardSession",
    "SupportMessage",
    "SupportTicket",
    "SystemSetting",
    "UnmatchedDeposit",
    "User",
    "UserAction",
    "WalletChangeRequest",
    "WalletKey",
    "WalletNonce",
]
