"""Chain safety of the deposit side (issue 9: findings 2, 3, 4, 12 and the reconciliation) against a
real anvil node: reorgs that move a transfer's log, endpoints that answer null or lag, one bad item in a
pass, and the books against the chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from sigmatrade import clock
from sigmatrade.clicmds import reconcile as reconcile_cli
from sigmatrade.config import load_config
from sigmatrade.db.models import ChainTransfer, Deposit, JournalEntry
from sigmatrade.domain.enums import ConfirmationStatus, DepositStatus, MatchStatus, UnmatchedReason
from sigmatrade.domain.money import canonical
from sigmatrade.jobs.tasks import blockchain_monitor
from sigmatrade.sandbox.chain import LocalChain
from tests.chain.rpc_proxy import RpcProxy
from tests.chain.watch_env import CONFIRMATIONS, new_account, reconcile_with_chain, signed_transfer, watch_env

pytestmark = pytest.mark.chain
D = Decimal
ADMIN = 9_200_011


@pytest.fixture(scope="module")
async def chain() -> AsyncIterator[LocalChain]:
    async with LocalChain() as c:
        await c.deploy_token()
        yield c


# ---------------------------------------------------------------------------------------------- finding 2


async def test_reorg_changing_the_log_index_keeps_one_row_and_confirms_everyone(
    db_url: str, chain: LocalChain
) -> None:
    """A reorg re-includes the transfer after another one in the same block: its log index changes.
    One row per on-chain transfer, no IntegrityError, both deposits confirmed once, keys from the
    transfer's identity."""
    async with watch_env(db_url, chain) as env:
        first, first_wallet = await env.depositor()
        second, second_wallet = await env.depositor()
        first_deposit = await env.pending(first, "10")
        second_deposit = await env.pending(second, "20")
        raw_first = await signed_transfer(chain, first_wallet, env.system, chain.raw("10"))
        raw_second = await signed_transfer(chain, second_wallet, env.system, chain.raw("20"))
        tx_first = await chain.rpc.call("eth_sendRawTransaction", raw_first)
        before = await chain.wait_receipt(tx_first)
        await chain.mine(1)
        await env.monitor()
        (recorded,) = await env.transfers()
        assert recorded.log_index == int(before["logs"][0]["logIndex"], 16)

        # Both transfers land in one block, the second one first: the first one's log index moves.
        await chain.reorg(2, [(raw_second, 0), (raw_first, 0)])
        after = await chain.wait_receipt(tx_first)
        assert int(after["logs"][0]["logIndex"], 16) != recorded.log_index
        for _ in range(3):
            result = await env.mine_and_monitor(CONFIRMATIONS)
            assert result.errors == [], result.errors

        rows = await env.transfers()
        assert sum(r.tx_hash == tx_first.lower() for r in rows) == 1
        assert len(rows) == 2 and all(r.confirmation_status == ConfirmationStatus.CONFIRMED for r in rows)
        assert (await env.deposit(first_deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.deposit(second_deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(first)).principal == D(10)
        assert (await env.balances(second)).principal == D(20)
        async with env.rt.db.session() as session:
            keys = set((await session.scalars(select(JournalEntry.idempotency_key))).all())
            identities = set((await session.scalars(select(ChainTransfer.transfer_key))).all())
        deposit_keys = {k for k in keys if k.startswith("deposit:")}
        assert deposit_keys == {f"deposit:{identity}:confirm" for identity in identities}
        await env.ledger_ok()


async def test_one_bad_pending_transfer_never_stops_the_pass_for_the_others(
    db_url: str, chain: LocalChain
) -> None:
    """A row the node refuses to look up (a malformed hash) comes first in the pass: it is logged and
    counted, the deposits after it are confirmed all the same."""
    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        await env.mine_and_monitor(1)
        async with env.rt.db.transaction() as session:
            session.add(
                ChainTransfer(
                    chain_id=chain.chain_id,
                    token_address=chain.token_address,
                    tx_hash="0xnot-a-hash",
                    log_index=0,
                    transfer_key="poison",
                    block_number=1,
                    block_hash="0x" + "00" * 32,
                    from_address="0x" + "44" * 20,
                    to_address=env.system.lower(),
                    raw_value=1,
                    amount=D("0.000000000000000001"),
                    match_status=MatchStatus.DUST,
                    confirmation_status=ConfirmationStatus.PENDING,
                )
            )
        result = await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)
        assert result.confirm is not None and result.confirm.failed == 1 and result.confirm.confirmed == 1
        assert any("1 item(s) failed" in error for error in result.errors)


# ---------------------------------------------------------------------------------------------- finding 3


async def test_an_endpoint_answering_null_receipts_never_loses_a_deposit(
    db_url: str, chain: LocalChain
) -> None:
    """The only endpoint answers ``null`` for every receipt while the transfer's block stays
    canonical: no orphaning (the deposit stays detected, admins alerted once), and the deposit is
    confirmed as soon as receipts come back."""
    async with (
        RpcProxy(chain.url) as proxy,
        watch_env(db_url, chain, bsc_rpc_urls=proxy.url, super_admin_ids=str(ADMIN)) as env,
    ):
        env.h.user(ADMIN, "Admin", language_code="en").user.started = True
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        await env.mine_and_monitor(1)
        proxy.null_receipts = True
        await chain.mine(CONFIRMATIONS)
        watcher = blockchain_monitor.watcher_for(env.rt, missing_alert_seconds=0)
        for _ in range(3):
            result = await blockchain_monitor.monitor_once(env.rt, watcher)
            assert result.confirm is not None and result.confirm.orphaned == 0
        assert result.confirm.held == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        (transfer,) = await env.transfers()
        assert transfer.confirmation_status == ConfirmationStatus.PENDING
        alerts = [m.body for m in env.h.emulator.bot_messages(ADMIN) if "receipt missing" in m.body]
        assert len(alerts) == 1, alerts

        proxy.null_receipts = False
        result = await env.monitor()
        assert result.confirm is not None and result.confirm.confirmed == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)


# ---------------------------------------------------------------------------------------------- finding 4


async def test_an_endpoint_whose_logs_lag_its_head_cannot_make_the_cursor_skip_a_transfer(
    db_url: str, chain: LocalChain
) -> None:
    """The endpoint's ``eth_getLogs`` leaves out the last 2 blocks while its head is current: the
    cursor passes the transfer's block without seeing it. The trailing re-scan of the confirmation
    depth records it once the endpoint has indexed it; credited once."""
    async with (
        RpcProxy(chain.url) as proxy,
        watch_env(db_url, chain, bsc_rpc_urls=proxy.url) as env,
    ):
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        proxy.logs_lag = 2
        await env.pay(wallet, "10")
        first = await env.monitor()
        assert first.scan is not None and first.scan.cursor == first.scan.head and first.scan.recorded == 0
        await chain.mine(2)
        await env.monitor()
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        for _ in range(3):
            await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert len(await env.transfers()) == 1
        assert (await env.balances(payer)).principal == D(10)


@pytest.mark.parametrize("jump", [False, True])
async def test_a_log_index_lagging_deeper_than_the_trailing_rescan_is_caught_by_the_second_look(
    db_url: str, chain: LocalChain, jump: bool
) -> None:
    """The endpoint's log index lags 10 blocks behind its head, deeper than the trailing re-scan
    (``CONFIRMATIONS`` blocks): the cursor passes the transfer and the re-scan never sees it. The second
    look reads every block again 12 blocks behind the cursor and records it; credited once. With
    ``jump`` the cursor crosses the block in one wide range (a catch-up after downtime). Before the
    second look the deposit was never credited (the reconciliation only reported it)."""
    async with (
        RpcProxy(chain.url) as proxy,
        watch_env(db_url, chain, bsc_rpc_urls=proxy.url, chain_recheck_depth_blocks=12) as env,
    ):
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        proxy.logs_lag = 10
        if jump:
            await env.monitor()
            await chain.mine(40)
        await env.pay(wallet, "10")
        if jump:
            await chain.mine(5)
        first = await env.monitor()
        assert first.scan is not None and first.scan.cursor == first.scan.head and first.scan.recorded == 0
        # The reconciliation (reading the node itself) sees the transfer the books lack, in a block the
        # second look has not read yet: counted apart, not a difference an admin would credit by hand.
        await chain.mine(CONFIRMATIONS)
        report = await reconcile_with_chain(env.rt.db, chain, CONFIRMATIONS, from_block=0, recheck_depth=12)
        assert report.ok and report.awaiting_second_look == 1, report.render()
        # With the second look off (or stalled) the same transfer is a difference, never hidden.
        report = await reconcile_with_chain(env.rt.db, chain, CONFIRMATIONS, from_block=0)
        assert not report.ok and report.awaiting_second_look == 0
        for _ in range(8):
            await env.mine_and_monitor(CONFIRMATIONS)
            if (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED:
                break
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert len(await env.transfers()) == 1
        assert (await env.balances(payer)).principal == D(10)


async def test_the_second_look_narrows_its_ranges_behind_a_range_limited_endpoint(
    db_url: str, chain: LocalChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second look is held at the missed transfer (recording fails) while the main cursor runs on
    and its chunk grows; once recording works again the second look is far behind an endpoint that
    refuses ranges over 100 blocks. It narrows its own chunk and catches up; credited once. It used to
    take the main cursor's chunk, be refused every cycle and never come back to the transfer (found
    by an independent review)."""
    from sigmatrade.services import deposit_lifecycle

    real = deposit_lifecycle.record_transfer
    failing = True

    async def flaky(*args: object, **kwargs: object) -> object:
        if failing:
            raise RuntimeError("lock timeout")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    async with (
        RpcProxy(chain.url) as proxy,
        watch_env(db_url, chain, bsc_rpc_urls=proxy.url, chain_recheck_depth_blocks=12) as env,
    ):
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        proxy.logs_lag = 10  # the main cursor passes the transfer
        proxy.max_log_range = 100
        await env.pay(wallet, "10")
        monkeypatch.setattr(deposit_lifecycle, "record_transfer", flaky)
        for _ in range(40):
            await env.mine_and_monitor(5)
        failing = False
        for _ in range(10):
            await env.mine_and_monitor(CONFIRMATIONS)
            if (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED:
                break
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert len(await env.transfers()) == 1
        assert (await env.balances(payer)).principal == D(10)


async def test_a_log_that_failed_to_record_holds_the_cursor_until_it_is_recorded(
    db_url: str, chain: LocalChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording the transfer fails once (a lock timeout, say) in a range wider than the trailing
    re-scan: the cursor stays before it and the next cycle records it; credited once. The cursor used
    to move past it and the deposit was never credited."""
    from sigmatrade.services import deposit_lifecycle

    real = deposit_lifecycle.record_transfer
    calls = 0

    async def fails_once(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("lock timeout")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    async with watch_env(db_url, chain) as env:
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        await chain.mine(CONFIRMATIONS * 3)  # the transfer is deeper than the trailing re-scan
        monkeypatch.setattr(deposit_lifecycle, "record_transfer", fails_once)
        first = await env.monitor()
        assert first.scan is not None and first.scan.failed == 1 and first.scan.cursor < first.scan.head
        for _ in range(3):
            await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert len(await env.transfers()) == 1
        assert (await env.balances(payer)).principal == D(10)


# ---------------------------------------------------------------------------------------------- reconciliation


async def test_reconcile_names_a_transfer_the_books_lost_and_the_monitor_alerts(
    db_url: str, chain: LocalChain
) -> None:
    """Credited, unmatched and dust transfers reconcile; a confirmed deposit whose transfer row the
    books lost (orphaned by hand) is a difference naming its transaction: ``ledger reconcile`` fails
    and the monitor alerts admins."""
    async with watch_env(db_url, chain, super_admin_ids=str(ADMIN)) as env:
        env.h.user(ADMIN, "Admin", language_code="en").user.started = True
        payer, wallet = await env.depositor()
        _, stranger_wallet = await env.depositor(new_account())
        await env.pending(payer, "10")
        paid = await env.pay(wallet, "10")
        await env.pay(stranger_wallet, "7")  # no pending deposit → unmatched
        await env.pay(wallet, "0.5")  # dust
        for _ in range(3):
            await env.mine_and_monitor(CONFIRMATIONS)
        report = await env.reconcile_ok()
        assert report.incoming_chain == D("17.5")
        assert report.incoming_books == {"credited": D(10), "unmatched": D(7), "dust": D("0.5")}

        async with env.rt.db.transaction() as session:
            await session.execute(
                update(ChainTransfer)
                .where(ChainTransfer.tx_hash == paid.lower())
                .values(confirmation_status=ConfirmationStatus.ORPHANED)
            )
        text, ok = await reconcile_cli.run(
            load_config(
                _env_file=None,
                database_url=db_url,
                bsc_rpc_urls=chain.url,
                chain_id=chain.chain_id,
                usdt_contract_address=chain.token_address,
                confirmation_blocks=CONFIRMATIONS,
            ),
            None,
            None,
        )
        assert not ok and f"incoming not_in_books: {paid.lower()}" in text, text
        watcher = blockchain_monitor.watcher_for(env.rt)
        assert watcher is not None
        watcher.state.reconcile.clear()
        result = await blockchain_monitor.monitor_once(env.rt, watcher)
        assert result.reconciled is not None and not result.reconciled.ok
        alerts = [m.body for m in env.h.emulator.bot_messages(ADMIN) if "do not match the chain" in m.body]
        assert len(alerts) == 1 and paid.lower() in alerts[0], alerts
        # put the books right again: the scenario's end checks reconcile too
        async with env.rt.db.transaction() as session:
            await session.execute(
                update(ChainTransfer)
                .where(ChainTransfer.tx_hash == paid.lower())
                .values(confirmation_status=ConfirmationStatus.CONFIRMED)
            )


# ---------------------------------------------------------------------------------------------- finding 12


async def test_a_squatted_exchange_wallet_collects_only_its_own_tagged_amount(
    db_url: str, chain: LocalChain
) -> None:
    """Someone registers a shared sender address (an exchange's hot wallet) and activates level 1
    through the bot. Another customer's 10 USDT withdrawal from that exchange is not matched to the
    squatter's deposit (it goes to review); only the squatter's own exact tagged amount is."""
    async with watch_env(db_url, chain) as env:
        squatter, exchange = await env.depositor(usdt="100")
        client = env.h.user(squatter.telegram_id, "Payer", language_code="en")
        await client.send("/menu")
        await client.press("💼 Deposits")
        await client.press("Level 1")
        screen = await client.press("🚀 Activate level 1")
        async with env.rt.db.session() as session:
            deposit = await session.scalar(select(Deposit).where(Deposit.user_id == squatter.id))
        assert deposit is not None and deposit.amount_tag is not None
        exact = canonical(deposit.expected_amount)
        assert exact != "10" and exact in screen.text

        await env.pay(exchange, "10")  # another customer of the exchange paying a nominal 10
        for _ in range(2):
            await env.mine_and_monitor(CONFIRMATIONS)
        (foreign,) = await env.transfers()
        assert foreign.deposit_id is None and foreign.unmatched_reason == UnmatchedReason.AMOUNT_MISMATCH
        assert (await env.deposit(deposit.id)).status == DepositStatus.PENDING
        assert (await env.balances(squatter)).principal == 0

        await env.pay(exchange, exact)
        for _ in range(2):
            await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(squatter)).principal == D(exact)


async def test_confirmation_quorum_waits_until_two_endpoints_agree(db_url: str, chain: LocalChain) -> None:
    """CHAIN_CONFIRMATION_QUORUM=2 with two endpoints: while the second answers ``null`` receipts the
    deposit stays detected; once both show the receipt it is confirmed."""
    async with (
        RpcProxy(chain.url) as first,
        RpcProxy(chain.url) as second,
        watch_env(
            db_url, chain, bsc_rpc_urls=f"{first.url},{second.url}", chain_confirmation_quorum=2
        ) as env,
    ):
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        await env.monitor()
        second.null_receipts = True
        result = await env.mine_and_monitor(CONFIRMATIONS)
        assert (
            result.confirm is not None and result.confirm.below_quorum == 1 and result.confirm.confirmed == 0
        )
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        second.null_receipts = False
        result = await env.monitor()
        assert result.confirm is not None and result.confirm.confirmed == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED


async def test_a_deposit_is_not_credited_while_an_endpoint_shows_another_block(
    db_url: str, chain: LocalChain
) -> None:
    """The receipt comes from the first endpoint; the second shows another block at that height (a
    fork). The deposit waits (one node's block never credits it), and is credited once both agree."""
    async with (
        RpcProxy(chain.url) as first,
        RpcProxy(chain.url) as second,
        watch_env(db_url, chain, bsc_rpc_urls=f"first={first.url},second={second.url}") as env,
    ):
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10")
        await env.pay(wallet, "10")
        await env.monitor()
        (transfer,) = await env.transfers()
        second.forked_blocks.add(transfer.block_number)
        for _ in range(2):
            result = await env.mine_and_monitor(CONFIRMATIONS)
        assert result.confirm is not None and result.confirm.below_quorum == 1
        assert (await env.deposit(deposit.id)).status == DepositStatus.DETECTED
        second.forked_blocks.clear()
        await env.mine_and_monitor(1)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)


async def test_a_deposit_paid_in_time_does_not_expire_while_the_chain_cannot_be_read(
    db_url: str, chain: LocalChain
) -> None:
    """The user pays before the deadline, then the endpoint has an outage past it: the deposit is not
    expired while the scan is behind (it was, and the transfer went to manual review); once the scan
    catches up, it is detected and credited."""
    async with (
        RpcProxy(chain.url) as proxy,
        watch_env(db_url, chain, bsc_rpc_urls=proxy.url) as env,
    ):
        payer, wallet = await env.depositor()
        deposit = await env.pending(payer, "10", ttl_hours=1)
        await env.pay(wallet, "10")
        proxy.set_mode("http_500")
        clock.travel(timedelta(hours=1, minutes=1))
        result = await env.monitor()
        assert result.expired == 0 and result.errors
        assert (await env.deposit(deposit.id)).status == DepositStatus.PENDING
        proxy.set_mode("forward")
        clock.travel(timedelta(minutes=5))  # the endpoint's cooldown passes
        for _ in range(4):
            await env.mine_and_monitor(CONFIRMATIONS)
        assert (await env.deposit(deposit.id)).status == DepositStatus.CONFIRMED
        assert (await env.balances(payer)).principal == D(10)
