"""What the deposit lifecycle observed and did (SPEC §3.3.4, §4.3.5, §4.4.4).

``ObservedTransfer`` is a Transfer log as the watcher read it from the chain; the other records are
produced by ``services.deposit_lifecycle`` inside its transaction and read by
``services.deposit_notices`` after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sigmatrade.db.models import Deposit, User
from sigmatrade.domain.enums import CommissionStatus, UnmatchedReason
from sigmatrade.domain.transfers import TransferIdentity


@dataclass(frozen=True)
class CommissionNote:
    beneficiary: User
    depth: int
    amount: Decimal
    status: CommissionStatus
    skip_reason: str | None
    balance: Decimal | None  # the beneficiary's available balance after the credit


@dataclass
class Confirmation:
    """A confirmed deposit and what its notifications need."""

    deposit: Deposit
    user: User
    received: Decimal
    tx_hash: str | None
    transfer_id: int | None
    detected_at: datetime | None
    commissions: list[CommissionNote] = field(default_factory=list)
    unmatched_id: int | None = None  # set for a late match (entry unmatched_assigned)


@dataclass
class Queued:
    """An unmatched transfer put on the admin review queue."""

    item_id: int
    transfer_id: int
    amount: Decimal
    sender: str
    reason: UnmatchedReason
    tx_hash: str


@dataclass(frozen=True)
class ObservedTransfer:
    """One Transfer log of the watched token to a watched address, normalised (lower-case hex)."""

    chain_id: int
    token: str
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    block_time: datetime | None
    from_address: str
    to_address: str
    raw_value: int
    amount: Decimal
    occurrence: int = 0  # rank among the transaction's logs of the same content (domain.transfers)

    @property
    def key(self) -> str:
        """The on-chain identity (survives reorgs): the row's ``transfer_key``."""
        return TransferIdentity(
            self.chain_id,
            self.tx_hash,
            self.token,
            self.from_address,
            self.to_address,
            self.raw_value,
            self.occurrence,
        ).key
