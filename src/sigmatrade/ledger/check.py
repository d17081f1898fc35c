"""Ledger invariant check (SPEC §3.5.5): ``sigmatrade ledger check``.

Each check returns the offending rows; an empty report means the books are consistent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.aggregate import grouped_sums, total
from sigmatrade.db.models import (
    Deposit,
    JournalEntry,
    LedgerAccount,
    LedgerPosting,
    Payout,
    ReferralCommission,
    RewardAccrual,
)
from sigmatrade.domain.enums import (
    OPEN_PAYOUT_STATUSES,
    AccountKind,
    CommissionStatus,
    DepositStatus,
    EntryType,
    PayoutStatus,
)

MAX_ROWS_SHOWN = 20


@dataclass
class Violation:
    check: str
    detail: str


@dataclass
class Report:
    checks_run: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def add(self, check: str, detail: str) -> None:
        self.violations.append(Violation(check, detail))

    def render(self) -> str:
        lines = [
            f"ledger check: {len(self.checks_run)} checks, "
            + ", ".join(f"{k}={v}" for k, v in self.stats.items())
        ]
        for name in self.checks_run:
            bad = [v for v in self.violations if v.check == name]
            lines.append(f"  [{'FAIL' if bad else ' ok '}] {name}")
            lines.extend(f"         - {v.detail}" for v in bad[:MAX_ROWS_SHOWN])
            if len(bad) > MAX_ROWS_SHOWN:
                lines.append(f"         … and {len(bad) - MAX_ROWS_SHOWN} more")
        lines.append("result: OK" if self.ok else f"result: {len(self.violations)} violation(s)")
        return "\n".join(lines)


async def run_check(session: AsyncSession) -> Report:
    report = Report()
    report.stats["entries"] = int(await session.scalar(select(func.count(JournalEntry.id))) or 0)
    report.stats["postings"] = int(await session.scalar(select(func.count(LedgerPosting.id))) or 0)
    report.stats["accounts"] = int(await session.scalar(select(func.count(LedgerAccount.id))) or 0)
    for check in (
        _entries_balanced,
        _cached_balances,
        _user_accounts_nonnegative,
        _global_sum_zero,
        _held_matches_open_payouts,
        _accrued_totals,
        _principal_entries,
        _accrual_entries,
        _commission_entries,
        _settle_entries,
    ):
        name = check.__name__.strip("_").replace("_", " ")
        report.checks_run.append(name)
        await check(session, report, name)
    return report


async def _entries_balanced(session: AsyncSession, report: Report, name: str) -> None:
    sums = await grouped_sums(session, select(LedgerPosting.entry_id, LedgerPosting.amount))
    counts = dict(
        (
            await session.execute(
                select(LedgerPosting.entry_id, func.count()).group_by(LedgerPosting.entry_id)
            )
        ).all()
    )
    for (entry_id,), value in sorted(sums.items()):
        if value != 0:
            report.add(name, f"entry {entry_id}: postings sum to {value}")
    entry_ids = (await session.scalars(select(JournalEntry.id).order_by(JournalEntry.id))).all()
    for entry_id in entry_ids:
        if counts.get(entry_id, 0) < 2:
            report.add(name, f"entry {entry_id}: {counts.get(entry_id, 0)} posting(s), needs at least 2")


async def _cached_balances(session: AsyncSession, report: Report, name: str) -> None:
    sums = await grouped_sums(session, select(LedgerPosting.account_id, LedgerPosting.amount))
    for account in (await session.scalars(select(LedgerAccount).order_by(LedgerAccount.id))).all():
        expected = sums.get((account.id,), Decimal(0))
        if account.balance != expected:
            report.add(
                name,
                f"account {account.code} (id {account.id}): cached {account.balance}, postings {expected}",
            )


async def _user_accounts_nonnegative(session: AsyncSession, report: Report, name: str) -> None:
    sums = await grouped_sums(session, select(LedgerPosting.account_id, LedgerPosting.amount))
    for account in (
        await session.scalars(select(LedgerAccount).where(LedgerAccount.kind != AccountKind.SYSTEM))
    ).all():
        value = sums.get((account.id,), Decimal(0))
        if value < 0 or account.balance < 0:
            report.add(name, f"account {account.code}: negative balance {min(value, account.balance)}")


async def _global_sum_zero(session: AsyncSession, report: Report, name: str) -> None:
    value = await total(session, select(LedgerPosting.amount))
    if value != 0:
        report.add(name, f"all postings sum to {value}")


async def _held_matches_open_payouts(session: AsyncSession, report: Report, name: str) -> None:
    open_sums = await grouped_sums(
        session,
        select(Payout.user_id, Payout.amount).where(
            Payout.status.in_(OPEN_PAYOUT_STATUSES), Payout.user_id.is_not(None)
        ),
    )
    held = {
        acc.user_id: acc.balance
        for acc in (
            await session.scalars(select(LedgerAccount).where(LedgerAccount.kind == AccountKind.USER_HELD))
        ).all()
    }
    for user_id in sorted({u for u in set(held) | {k[0] for k in open_sums} if u is not None}):
        expected = open_sums.get((user_id,), Decimal(0))
        actual = held.get(user_id, Decimal(0))
        if expected != actual:
            report.add(name, f"user {user_id}: held {actual}, open payouts {expected}")


async def _accrued_totals(session: AsyncSession, report: Report, name: str) -> None:
    sums = await grouped_sums(session, select(RewardAccrual.deposit_id, RewardAccrual.amount))
    for dep in (await session.scalars(select(Deposit).order_by(Deposit.id))).all():
        expected = sums.get((dep.id,), Decimal(0))
        if dep.accrued_total != expected:
            report.add(name, f"deposit {dep.id}: accrued_total {dep.accrued_total}, accruals {expected}")
        if dep.cap_amount is not None and dep.accrued_total > dep.cap_amount:
            report.add(
                name, f"deposit {dep.id}: accrued_total {dep.accrued_total} exceeds cap {dep.cap_amount}"
            )


async def _principal_entries(session: AsyncSession, report: Report, name: str) -> None:
    rows = (
        await session.execute(
            select(JournalEntry.reference_id).where(
                JournalEntry.entry_type.in_([EntryType.DEPOSIT_CONFIRMED, EntryType.UNMATCHED_ASSIGNED]),
                JournalEntry.reference_type == "deposit",
            )
        )
    ).scalars()
    per_deposit = Counter(rows)
    deposits = dict((await session.execute(select(Deposit.id, Deposit.status))).all())
    for dep_id, status in sorted(deposits.items()):
        count = per_deposit.get(dep_id, 0)
        should = 1 if status in (DepositStatus.CONFIRMED, DepositStatus.COMPLETED) else 0
        if count != should:
            report.add(name, f"deposit {dep_id} ({status}): {count} principal entries, expected {should}")
    for dep_id in sorted(d for d in set(per_deposit) - set(deposits) if d is not None):
        report.add(name, f"principal entry for unknown deposit {dep_id}")


async def _accrual_entries(session: AsyncSession, report: Report, name: str) -> None:
    linked = (
        await session.execute(
            select(RewardAccrual.id, JournalEntry.entry_type).join(
                JournalEntry, JournalEntry.id == RewardAccrual.journal_entry_id, isouter=True
            )
        )
    ).all()
    for accrual_id, entry_type in linked:
        if entry_type != EntryType.REWARD_ACCRUAL:
            report.add(name, f"accrual {accrual_id}: linked entry is {entry_type or 'missing'}")
    entries = int(
        await session.scalar(
            select(func.count(JournalEntry.id)).where(JournalEntry.entry_type == EntryType.REWARD_ACCRUAL)
        )
        or 0
    )
    if entries != len(linked):
        report.add(name, f"{entries} reward_accrual entries for {len(linked)} accruals")


async def _commission_entries(session: AsyncSession, report: Report, name: str) -> None:
    rows = (
        await session.execute(
            select(ReferralCommission.id, ReferralCommission.status, JournalEntry.entry_type).join(
                JournalEntry, JournalEntry.id == ReferralCommission.journal_entry_id, isouter=True
            )
        )
    ).all()
    credited = 0
    for comm_id, status, entry_type in rows:
        if status == CommissionStatus.CREDITED:
            credited += 1
            if entry_type != EntryType.REFERRAL_COMMISSION:
                report.add(name, f"commission {comm_id}: credited without a referral_commission entry")
        elif entry_type is not None:
            report.add(name, f"commission {comm_id}: skipped but has an entry")
    entries = int(
        await session.scalar(
            select(func.count(JournalEntry.id)).where(
                JournalEntry.entry_type == EntryType.REFERRAL_COMMISSION
            )
        )
        or 0
    )
    if entries != credited:
        report.add(name, f"{entries} referral_commission entries for {credited} credited commissions")


async def _settle_entries(session: AsyncSession, report: Report, name: str) -> None:
    rows = (
        await session.execute(
            select(JournalEntry.reference_id).where(
                JournalEntry.entry_type.in_([EntryType.PAYOUT_SETTLED, EntryType.REFUND_SETTLED]),
                JournalEntry.reference_type == "payout",
            )
        )
    ).scalars()
    per_payout = Counter(rows)
    payouts = dict((await session.execute(select(Payout.id, Payout.status))).all())
    for payout_id, status in sorted(payouts.items()):
        should = 1 if status == PayoutStatus.CONFIRMED else 0
        if per_payout.get(payout_id, 0) != should:
            report.add(
                name,
                f"payout {payout_id} ({status}): {per_payout.get(payout_id, 0)} settle entries, expected {should}",
            )
    for ref_id in sorted(p for p in set(per_payout) - set(payouts) if p is not None):
        report.add(name, f"settle entry for unknown payout {ref_id}")
