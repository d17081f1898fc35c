"""services.admin.payouts on the real database (SPEC §4.6.9, scenario 47 admin half): DLQ list, Retry
back into the pipeline, Resolve as failed (release, user told) and as confirmed (settled once), and
the refusals that keep a possibly-mined transaction from being paid twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade.app import build_runtime
from sigmatrade.config import load_config
from sigmatrade.db.models import Admin, FailedNotification, PaymentRetry, Payout, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import AdminRole, PayoutStatus, RetryErrorKind, RetryResolution
from sigmatrade.ledger import accounts
from sigmatrade.runtime import Runtime
from sigmatrade.services import payout_pipeline as pipeline
from sigmatrade.services.admin import payouts as desk
from sigmatrade.services.admin import withdrawals as wd_desk
from sigmatrade.services.admin.refusals import DeskRefusal
from tests.desk_helpers import balance, consistent, desk_admin, funded_user, payout, requested

D = Decimal


@pytest.fixture
async def rt(db: Database) -> AsyncIterator[Runtime]:
    env = load_config(_env_file=None, database_url=db.url, environment="test")
    yield await build_runtime(env, db=db)


async def _dead(
    rt: Runtime, amount: str = "25", kind: RetryErrorKind = RetryErrorKind.RPC, user: User | None = None
) -> tuple[int, int]:
    """An approved withdrawal (held) moved to the DLQ (of a new user unless ``user``); returns (user id,
    payout id)."""
    admin = await desk_admin(rt)
    user = user or await funded_user(rt, "100")
    p = await requested(rt, user, amount)
    async with rt.db.session() as session:
        await wd_desk.approve(session, rt, admin, p.id)
    failure = await pipeline.fail_attempt(rt.db, p.id, kind, "boom", dlq_now=True)
    assert failure is not None and failure.in_dlq
    return user.id, p.id


async def _call(coro: object) -> str | Payout:
    try:
        return await coro  # type: ignore[misc,no-any-return]
    except DeskRefusal as exc:
        return exc.code


async def test_dlq_lists_and_retry_reenters_the_pipeline(rt: Runtime) -> None:
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    _, pid = await _dead(rt)
    async with rt.db.session() as session:
        page = await desk.dlq_page(session, 1)
        view = await desk.overview(session)
    assert [i.payout.id for i in page.items] == [pid] and view.dlq_total == 1 and view.in_flight_total == 0
    async with rt.db.session() as session:
        await desk.retry(session, rt, ext, pid)
        assert await _call(desk.retry(session, rt, ext, pid)) == "not_in_dlq"  # double tap
    row = await payout(rt, pid)
    assert not row.dead_lettered and row.status == PayoutStatus.APPROVED
    due = await pipeline.candidates(rt.db, "0x" + "1" * 40, retries_only=True)
    assert [p.id for p in due] == [pid]
    async with rt.db.session() as session:
        retry = await session.scalar(select(PaymentRetry).where(PaymentRetry.payout_id == pid))
    assert retry is not None and retry.attempt_count == 0 and not retry.in_dlq and not retry.resolved
    await consistent(rt)


async def test_resolve_failed_releases_and_tells_the_user(rt: Runtime) -> None:
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    user_id, pid = await _dead(rt)
    assert await balance(rt, accounts.held(user_id)) == D(25)
    async with rt.db.session() as session:
        done = await desk.resolve_failed(session, rt, ext, pid)
        assert done.status == PayoutStatus.FAILED
        assert await _call(desk.resolve_failed(session, rt, ext, pid)) == "not_in_dlq"
    assert await balance(rt, accounts.held(user_id)) == D(0)
    assert await balance(rt, accounts.available(user_id)) == D(100)
    async with rt.db.session() as session:
        retry = await session.scalar(select(PaymentRetry).where(PaymentRetry.payout_id == pid))
        note = await session.scalar(
            select(FailedNotification).where(FailedNotification.category == "payout_failed")
        )
    assert retry is not None and retry.resolved and retry.resolution == RetryResolution.REFUNDED
    assert note is not None
    await consistent(rt)


async def test_bound_nonce_cannot_be_failed_and_conflicts_need_a_super_admin(rt: Runtime) -> None:
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    sup = await desk_admin(rt, AdminRole.SUPER_ADMIN)
    _, pid = await _dead(rt)
    async with rt.db.transaction() as session:  # as if signed and sent with nonce 7
        row = await session.get(Payout, pid)
        assert row is not None
        row.status, row.nonce, row.from_address = PayoutStatus.SENT, 7, "0x" + "1" * 40
    async with rt.db.session() as session:
        assert await _call(desk.resolve_failed(session, rt, ext, pid)) == "nonce_bound"
        transfer = desk.ManualTransfer("0x" + "ab" * 32, 10)
        assert await _call(desk.resolve_confirmed(session, rt, ext, pid, transfer)) == "nonce_bound"
    _, conflict = await _dead(rt, "10", RetryErrorKind.NONCE_CONFLICT)
    async with rt.db.transaction() as session:
        row = await session.get(Payout, conflict)
        assert row is not None
        row.status, row.nonce, row.from_address = PayoutStatus.SENT, 8, "0x" + "1" * 40
    async with rt.db.session() as session:
        assert await _call(desk.resolve_failed(session, rt, ext, conflict)) == "super_only"
        assert await _call(desk.resolve_confirmed(session, rt, ext, conflict, transfer)) == "super_only"
        done = await desk.resolve_failed(session, rt, sup, conflict)
    assert done.status == PayoutStatus.FAILED
    assert (await payout(rt, pid)).status == PayoutStatus.SENT
    await consistent(rt)


async def test_resolve_confirmed_settles_once(rt: Runtime) -> None:
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    user_id, pid = await _dead(rt)
    transfer = desk.ManualTransfer("0x" + "cd" * 32, 42)
    async with rt.db.session() as session:
        done = await desk.resolve_confirmed(session, rt, ext, pid, transfer)
        assert (done.status, done.tx_hash, done.block_number) == (
            PayoutStatus.CONFIRMED,
            transfer.tx_hash,
            42,
        )
        assert await _call(desk.resolve_confirmed(session, rt, ext, pid, transfer)) == "not_in_dlq"
    assert await balance(rt, accounts.held(user_id)) == D(0)
    assert await balance(rt, accounts.available(user_id)) == D(75)
    _, other = await _dead(rt, "25")
    async with rt.db.session() as session:  # the same transfer cannot pay a second payout
        assert await _call(desk.resolve_confirmed(session, rt, ext, other, transfer)) == "bad_tx"
    await consistent(rt)


async def test_one_transfer_cannot_settle_two_payouts_resolved_at_the_same_moment(rt: Runtime) -> None:
    """Two admins resolve two dead-lettered payouts of one user (same amount, same wallet) as paid with
    the same manual transfer at once: one is settled, the other refused; the user's second hold stays
    (it was settled twice against one transfer on PostgreSQL before the check was serialised)."""
    first = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    second = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    for i in range(10):
        user = await funded_user(rt, "100")
        _, p1 = await _dead(rt, user=user)
        _, p2 = await _dead(rt, user=user)
        transfer = desk.ManualTransfer("0x" + f"{i:02x}" * 32, 42)

        async def resolve(admin: Admin, pid: int, transfer: desk.ManualTransfer) -> str | Payout:
            async with rt.db.session() as session:
                return await _call(desk.resolve_confirmed(session, rt, admin, pid, transfer))

        outcomes = await asyncio.gather(resolve(first, p1, transfer), resolve(second, p2, transfer))
        assert sorted(o if isinstance(o, str) else "settled" for o in outcomes) == ["bad_tx", "settled"]
        assert await balance(rt, accounts.held(user.id)) == D(25)
    await consistent(rt)


async def test_resolve_as_paid_tells_the_user(rt: Runtime) -> None:
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    _, pid = await _dead(rt)
    async with rt.db.session() as session:
        await desk.resolve_confirmed(session, rt, ext, pid, desk.ManualTransfer("0x" + "cd" * 32, 42))
    async with rt.db.session() as session:
        note = await session.scalar(
            select(FailedNotification).where(FailedNotification.category == pipeline.CATEGORY_CONFIRMED)
        )
    assert note is not None  # no bot in this test: the message waits for the notification retry job


async def test_a_dead_lettered_payout_is_decided_on_the_dlq_desk_not_rejected(rt: Runtime) -> None:
    """Reject from ``approved`` would release a dead-lettered payout with the admin role, a decision the
    DLQ desk keeps for extended admins (Resolve as failed)."""
    admin = await desk_admin(rt, AdminRole.ADMIN)
    user_id, pid = await _dead(rt)
    async with rt.db.session() as session:
        assert await _call(wd_desk.reject(session, rt, admin, pid, "no")) == "in_dlq"
    row = await payout(rt, pid)
    assert (row.status, row.dead_lettered) == (PayoutStatus.APPROVED, True)
    assert await balance(rt, accounts.held(user_id)) == D(25)
    await consistent(rt)


async def test_a_failure_reported_after_the_payout_left_the_pipeline_records_nothing(rt: Runtime) -> None:
    """The sender read an approved payout, an admin rejected it, then the sender's attempt failed: no
    retry row is opened on the rejected payout and its row is not touched."""
    admin = await desk_admin(rt)
    user = await funded_user(rt, "100")
    p = await requested(rt, user, "25")
    async with rt.db.session() as session:
        await wd_desk.approve(session, rt, admin, p.id)
        await wd_desk.reject(session, rt, admin, p.id, None)
    failure = await pipeline.fail_attempt(rt.db, p.id, RetryErrorKind.INSUFFICIENT_USDT, "usdt")
    assert failure is None
    async with rt.db.session() as session:
        rows = (await session.scalars(select(PaymentRetry).where(PaymentRetry.payout_id == p.id))).all()
    row = await payout(rt, p.id)
    assert rows == [] and (row.status, row.failure_reason, row.dead_lettered) == (
        PayoutStatus.REJECTED,
        None,
        False,
    )
    await consistent(rt)


async def test_resolve_as_failed_never_moves_a_settled_payout(rt: Runtime) -> None:
    """Defence in depth: a confirmed payout that somehow still carries an open DLQ row is not failed (its
    hold would be released a second time)."""
    sup = await desk_admin(rt, AdminRole.SUPER_ADMIN)
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    user_id, pid = await _dead(rt)
    async with rt.db.session() as session:
        await desk.resolve_confirmed(session, rt, ext, pid, desk.ManualTransfer("0x" + "ef" * 32, 42))
    async with rt.db.transaction() as session:  # the impossible state, written by hand
        session.add(
            PaymentRetry(
                payout_id=pid, user_id=user_id, amount=D(25), attempt_count=1, max_retries=1, in_dlq=True
            )
        )
        row = await session.get(Payout, pid)
        assert row is not None
        row.dead_lettered = True
    async with rt.db.session() as session:
        assert await _call(desk.resolve_failed(session, rt, sup, pid)) == "not_in_dlq"
    assert (await payout(rt, pid)).status == PayoutStatus.CONFIRMED
    assert await balance(rt, accounts.available(user_id)) == D(75)
    await consistent(rt)
