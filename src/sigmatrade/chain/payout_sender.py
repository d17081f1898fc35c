"""Payout sender, tracker and crash recovery (SPEC §4.6), chain side.

One run (inside the payment processor or payment retry job), holding the wallet's sender slot:

1. **Recovery** — ``signing`` with a persisted transaction → the identical signed bytes are broadcast
   again and the payout is ``sent``; ``signing`` without one → ``approved`` (no nonce was reserved).
2. **Tracker** — for each ``sent`` payout of the wallet (and of any previous payout wallet that still
   has payouts in flight), the receipts of every transaction ever signed for it: a status-1 receipt
   with enough confirmations → ``confirmed`` (ledger settle, user notified); a status-0 receipt of its
   bound nonce → ``approved`` unbound only once the revert has the confirmation depth (a retry signs
   a new nonce; the reverted hash stays tracked); nothing mined and the wallet's ``latest`` nonce
   already past the bound nonce → nonce conflict, dead-lettered, never resent; nothing mined for
   ``PAYOUT_STUCK_MINUTES`` → a failed attempt (``stuck``) and a replacement at the same nonce with
   ≥ 112.5 % gas price under the cap (persisted first); otherwise the newest bytes are rebroadcast
   when due. Dead-lettered payouts are only watched for a success.
3. **Sender** — approved payouts oldest first (at most ``PAYOUT_MAX_IN_FLIGHT`` in ``sent``, not
   counting dead-lettered ones): pre-checks (USDT, gas estimate, BNB) without touching a nonce; then
   in one DB transaction the row is checked against the books (hold, raw amount, registered wallet),
   the nonce reserved, the transaction signed and persisted with its hash; only after the commit is
   it broadcast. A broadcast error still leaves the payout ``sent``: the tracker decides, never a
   re-sign. One payout's exception never stops the others; the sender lease is renewed meanwhile.

A payout keeps its nonce until a transaction with that nonce is mined, so two transfers for one
payout can never both be mined. ``SIGMATRADE_FAULT`` (``after_persist`` / ``after_broadcast``)
ends the process at that point; the crash tests use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, cast

from sigmatrade import clock
from sigmatrade.chain import keystore, nonces
from sigmatrade.chain.provider import MinedView, RpcCallError, RpcError, receipt_status, transaction_hash
from sigmatrade.chain.runtime import ChainRuntime
from sigmatrade.chain.token import decode_uint, encode_balance_of, encode_transfer
from sigmatrade.db.models import Payout, PayoutTransaction
from sigmatrade.domain.addresses import is_valid_address, to_checksum
from sigmatrade.domain.enums import PayoutStatus, RetryErrorKind
from sigmatrade.domain.money import raw_to_amount
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import payout_pipeline as pipeline

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

    from sigmatrade.chain.accounts import LocalAccount

log = get_logger("sigmatrade.payouts")

FAULT_ENV = "SIGMATRADE_FAULT"
FAULT_EXIT_CODE = 77
BNB_DECIMALS = 18
LOW_BALANCE_CHECK_SECONDS = 600
REVERT_MARKERS = ("revert", "out of gas", "invalid opcode")
# A nonce conflict is declared on a second sighting at least this long after the first: one RPC URL
# often balances over nodes at different heights, and a node that had not indexed our transfer yet
# catches up within seconds. Sightings live in this process (a restart or another replica starts
# over: the conflict only waits longer).
CONFLICT_SECOND_LOOK = timedelta(seconds=60)
_conflict_seen: dict[int, datetime] = {}
REPLACEMENT_BUMP_NUM, REPLACEMENT_BUMP_DEN = 1125, 1000  # a replacement pays ≥ 112.5 % (§4.6.5)


def fault_point(name: str) -> None:
    """Crash-test hook: end the process abruptly (no cleanup, no commit) at the named point."""
    if os.environ.get(FAULT_ENV) == name:
        os._exit(FAULT_EXIT_CODE)


@dataclass
class _Budget:
    """What one run may still spend: the wallet's balances and the free sending slots."""

    usdt: int
    bnb: int
    in_flight: int


class RefusedPayout(Exception):
    """The payout row disagrees with the books: never signed, dead-lettered with a critical alert."""


@dataclass
class RunReport:
    wallet: str | None = None
    skipped: str | None = None
    sent: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    reverted: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    rebroadcast: list[int] = field(default_factory=list)
    dead_lettered: list[int] = field(default_factory=list)
    replaced: list[int] = field(default_factory=list)
    stuck: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    halted: list[str] = field(default_factory=list)  # wallets with transactions the books never signed


class PayoutSender:
    def __init__(self, rt: Runtime, chain: ChainRuntime) -> None:
        self.rt = rt
        self.chain = chain
        self.provider = chain.provider
        config = rt.config
        self.max_in_flight = config.payout_max_in_flight
        self.multiplier = config.payout_gas_limit_multiplier
        self.max_gas_price = int(config.payout_max_gas_price_gwei * 10**9)
        self.rebroadcast_seconds = config.payout_rebroadcast_seconds
        self.stuck_minutes = config.payout_stuck_minutes

    async def wallet(self) -> str | None:
        value = await self.rt.store.get("payout.wallet_address")
        return to_checksum(value) if value else None

    async def run(self, *, retries_only: bool = False, monitor: bool = False) -> RunReport:
        report = RunReport()
        wallet = await self.wallet()
        report.wallet = wallet
        await self.finish_previous_wallets(wallet, report)
        if wallet is None:
            report.skipped = "no payout wallet configured"
            return report
        async with nonces.sender_slot(self.rt.db, wallet, self.rt.replica_id) as mine:
            if not mine:
                report.skipped = "another sender holds the wallet"
                return report
            await self.recover(wallet, report)
            await self.track(wallet, report)
            if await self.rt.store.get("payout.sending_enabled"):
                await self.send_approved(wallet, report, mine, retries_only=retries_only)
            else:
                report.skipped = "sending disabled"
            if monitor and await self.rt.counter.once(
                f"payout_balance_check:{wallet.lower()}", LOW_BALANCE_CHECK_SECONDS
            ):
                await self.check_low_balance(wallet)
        return report

    async def finish_previous_wallets(self, wallet: str | None, report: RunReport) -> None:
        """Payouts still in flight on a wallet that is no longer the payout wallet are recovered and
        tracked to the end under that wallet's own slot. No new payout is sent from an old wallet (a
        stuck transaction may still be replaced at its own nonce)."""
        for old in await pipeline.wallets_in_flight(self.rt.db):
            if wallet is not None and old.lower() == wallet.lower():
                continue
            try:
                async with nonces.sender_slot(self.rt.db, old, self.rt.replica_id) as mine:
                    if mine:
                        await self.recover(old, report)
                        await self.track(old, report)
            except RpcError as exc:  # the next run tries again; the current wallet is not held up
                log.warning("payout_previous_wallet_rpc_error", wallet=old, error=str(exc)[:200])

    # ------------------------------------------------------------------------------------ recovery
    async def recover(self, wallet: str, report: RunReport) -> None:
        for payout_id, tx in await pipeline.signing_rows(self.rt.db):
            if tx is None:
                await pipeline.back_to_approved(self.rt.db, payout_id)
                continue
            if tx.from_address.lower() != wallet.lower():
                continue
            await self._broadcast(tx)
            await pipeline.mark_sent(self.rt.db, payout_id, tx.id)
            report.recovered.append(payout_id)

    async def _broadcast(self, tx: PayoutTransaction) -> bool:
        """Send the identical persisted bytes; errors are logged, never a reason to re-sign."""
        try:
            await self.provider.send_raw(tx.signed_raw)
        except RpcError as exc:
            log.warning(
                "payout_broadcast_error", payout_id=tx.payout_id, tx_hash=tx.tx_hash, error=str(exc)[:200]
            )
            return False
        return True

    # ------------------------------------------------------------------------------------- tracker
    async def track(self, wallet: str, report: RunReport) -> None:
        sent = await pipeline.in_status(self.rt.db, wallet, PayoutStatus.SENT)
        if not sent:
            return
        head = await self.provider.agreed_head()
        for payout in sent:
            try:
                await self._track_one(wallet, payout, head, report)
            except RpcError as exc:
                log.warning("payout_track_rpc_error", payout_id=payout.id, error=str(exc)[:200])
            except Exception:  # one payout's failure never stops the others (alerted by the log)
                log.exception("payout_track_error", payout_id=payout.id)
                report.errors.append(payout.id)

    async def _mined(self, txs: list[PayoutTransaction]) -> list[tuple[PayoutTransaction, int, int, str]]:
        """(transaction, block, receipt status, block hash) for each of ``txs`` that has a receipt now."""
        out: list[tuple[PayoutTransaction, int, int, str]] = []
        for tx in txs:
            receipt = await self.provider.get_receipt(tx.tx_hash)
            if receipt is not None and receipt.get("blockNumber"):
                status = receipt_status(receipt)
                if status is None:
                    continue  # mined, outcome not served: neither a success nor a revert yet
                block = int(str(receipt["blockNumber"]), 16)
                out.append((tx, block, status, str(receipt.get("blockHash", "")).lower()))
        return out

    async def _settled_everywhere(
        self, payout: Payout, tx: PayoutTransaction, block: int, block_hash: str
    ) -> bool:
        """The block is canonical and each endpoint that answers and knows the transaction knows it as
        a success (``ProviderManager.success_view``): one node's "status 1" never settles a payout. An
        endpoint that is down does not hold a settlement back (a wrong one is found by the
        reconciliation; a wrong revert or conflict would pay twice, so those wait for every endpoint)."""
        view = await self.provider.success_view(tx.tx_hash, block, block_hash)
        if view.all_succeeded:
            return True
        await self._deferred(payout, "confirm", view, tx)
        return False

    async def _deferred(self, payout: Payout, step: str, view: MinedView, tx: PayoutTransaction) -> None:
        """A decision waits for the endpoints to answer and agree: logged each time, and admins are
        told once it has waited ``PAYOUT_STUCK_MINUTES`` since the transaction was signed (a dead
        endpoint left in the configuration would otherwise hold it back in silence)."""
        described = _described(view)
        log.warning("payout_decision_deferred", payout_id=payout.id, step=step, view=described)
        minutes = int((clock.now() - tx.created_at).total_seconds() // 60)
        if minutes >= self.stuck_minutes:
            await pipeline.alert_undecided(self.rt, payout, step, minutes, described)

    def _deep(self, head: int, block: int) -> bool:
        return head - block >= self.chain.confirmation_blocks

    async def _track_one(self, wallet: str, payout: Payout, head: int, report: RunReport) -> None:
        txs = await pipeline.transactions(self.rt.db, payout.id)
        if not txs:
            return
        mined = await self._mined(txs)
        for tx, block, status, block_hash in mined:
            if status == 1:  # whichever hash ever signed for the payout succeeded settles it
                if self._deep(head, block) and await self._settled_everywhere(payout, tx, block, block_hash):
                    confirmed = await pipeline.confirm(self.rt.db, payout.id, tx.id, block)
                    if confirmed is not None:
                        report.confirmed.append(payout.id)
                        await pipeline.notify_confirmed(self.rt, confirmed)
                        if payout.nonce is not None and tx.nonce != payout.nonce:
                            # settled by an older nonce (a reorg deeper than the depth undid its
                            # revert): the newer transaction must not be mined too
                            log.critical(
                                "payout_settled_by_older_nonce", payout_id=payout.id, open_nonce=payout.nonce
                            )
                            await pipeline.alert_open_nonce(self.rt, confirmed, payout.nonce)
                return
        if payout.dead_lettered:
            return  # left to an admin: only a success above settles it (§4.6.9)
        current = [
            (tx, block, block_hash) for tx, block, _status, block_hash in mined if tx.nonce == payout.nonce
        ]
        if current:
            tx, block, block_hash = current[0]
            if not self._deep(head, block):
                return  # a revert counts only once it has the confirmation depth (§4.6.5)
            if not await self.provider.canonical(block, block_hash):
                return  # the receipt's block is not the chain's on every node: wait
            view = await self.provider.mined_everywhere([t.tx_hash for t in txs])
            if not view.none_paid:
                # Unbinding the nonce lets a new transfer be signed: only when no node knows any of the
                # payout's transactions as successful (a lying node's status 0 would pay twice).
                await self._deferred(payout, "revert", view, tx)
                return
            failure = await pipeline.reverted(self.rt.db, payout.id, tx.id, block)
            report.reverted.append(payout.id)
            if failure is not None and failure.in_dlq:
                report.dead_lettered.append(payout.id)
                await pipeline.alert_dlq(self.rt, payout.id, failure, RetryErrorKind.REVERTED, "reverted")
            return
        assert payout.nonce is not None
        bound = [tx for tx in txs if tx.nonce == payout.nonce]
        if not bound:
            return
        latest = await self.provider.get_transaction_count(wallet, "latest")
        if latest > payout.nonce:
            # The nonce is used. Ours, unless no node knows any of its transactions as mined: every
            # endpoint is asked (a lagging one answers null), about the transactions read now (a second
            # sender may have just replaced it).
            bound = [
                tx for tx in await pipeline.transactions(self.rt.db, payout.id) if tx.nonce == payout.nonce
            ]
            view = await self.provider.mined_everywhere([tx.tx_hash for tx in bound])
            if not view.none_mined:
                # mined (its receipt not served by the first node yet), or a node did not answer: wait
                _conflict_seen.pop(payout.id, None)
                if bound:
                    await self._deferred(payout, "nonce_conflict", view, bound[-1])
                return
            first_seen = _conflict_seen.setdefault(payout.id, clock.now())
            if clock.now() - first_seen < CONFLICT_SECOND_LOOK:
                log.warning("payout_conflict_seen", payout_id=payout.id, nonce=payout.nonce, latest=latest)
                return  # looked at again on a later run before anything is declared
            _conflict_seen.pop(payout.id, None)
            error = f"nonce {payout.nonce} used by a foreign transaction (latest {latest})"
            failure = await pipeline.fail_attempt(
                self.rt.db, payout.id, RetryErrorKind.NONCE_CONFLICT, error, dlq_now=True
            )
            report.dead_lettered.append(payout.id)
            log.error("payout_nonce_conflict", payout_id=payout.id, nonce=payout.nonce, wallet=wallet)
            if failure is not None:
                await pipeline.alert_dlq(self.rt, payout.id, failure, RetryErrorKind.NONCE_CONFLICT, error)
            return
        if await self._stuck(wallet, payout, bound, report):
            return
        newest = bound[0]
        due = newest.broadcast_at is None or (
            (clock.now() - newest.broadcast_at).total_seconds() >= self.rebroadcast_seconds
        )
        if due:
            await self._broadcast(newest)
            await pipeline.touch_broadcast(self.rt.db, newest.id)
            report.rebroadcast.append(payout.id)

    async def _stuck(
        self, wallet: str, payout: Payout, bound: list[PayoutTransaction], report: RunReport
    ) -> bool:
        """§4.6.5: the bound nonce not mined ``PAYOUT_STUCK_MINUTES`` after its newest transaction (or
        the last stuck attempt) → a failed attempt (``stuck``) and, when the gas price cap allows a
        bump of 12.5 %, a replacement with the same nonce, persisted before its broadcast. At the cap
        nothing is replaced and admins are told. True when a replacement was just broadcast."""
        newest = bound[0]
        since = newest.created_at
        last = await pipeline.last_attempt_at(self.rt.db, payout.id, RetryErrorKind.STUCK)
        if last is not None and last > since:
            since = last
        if (clock.now() - since).total_seconds() < self.stuck_minutes * 60:
            return False
        report.stuck.append(payout.id)
        minutes = int((clock.now() - bound[-1].created_at).total_seconds() // 60)
        price = await self._replacement_price(newest.gas_price_wei)
        tx: PayoutTransaction | None = None
        if price is not None:
            async with self.rt.db.session() as session:
                account = await keystore.load_account(session, keystore.cipher_for(self.rt.config), wallet)
                await session.commit()
            assert payout.nonce is not None
            data = encode_transfer(payout.to_address, payout.raw_amount)
            raw_hex = self._sign(account, payout.nonce, data, newest.gas_limit, price)
            tx = await pipeline.record_replacement(
                self.rt.db,
                payout.id,
                wallet=wallet,
                nonce=payout.nonce,
                raw_hex=raw_hex,
                tx_hash=transaction_hash(raw_hex),
                gas_limit=newest.gas_limit,
                gas_price_wei=price,
            )
        action = f"replaced at {price} wei" if tx is not None else "gas price cap reached, not replaced"
        error = f"nonce {payout.nonce} not mined for {minutes} min; {action}"
        log.warning(
            "payout_stuck", payout_id=payout.id, nonce=payout.nonce, gas_price=price, replaced=bool(tx)
        )
        failure = await pipeline.fail_attempt(self.rt.db, payout.id, RetryErrorKind.STUCK, error)
        await pipeline.alert_stuck(
            self.rt,
            payout,
            minutes,
            replaced_gwei=Decimal(price).scaleb(-9) if tx is not None and price is not None else None,
            cap_gwei=Decimal(self.max_gas_price).scaleb(-9),
        )
        if failure is not None and failure.in_dlq:
            report.dead_lettered.append(payout.id)
            await pipeline.alert_dlq(self.rt, payout.id, failure, RetryErrorKind.STUCK, error)
        if tx is None:
            return False
        await self._broadcast(tx)
        await pipeline.touch_broadcast(self.rt.db, tx.id)
        report.replaced.append(payout.id)
        return True

    async def _replacement_price(self, previous: int) -> int | None:
        """At least 112.5 % of the previous gas price (and the network's price), never above the cap;
        None when the cap leaves no room for such a bump."""
        bumped = -(-previous * REPLACEMENT_BUMP_NUM // REPLACEMENT_BUMP_DEN)
        if bumped > self.max_gas_price:
            return None
        try:
            network = await self.provider.gas_price()
        except RpcError:
            network = bumped
        return min(max(bumped, network), self.max_gas_price)

    # -------------------------------------------------------------------------------------- sender
    async def _usdt_balance(self, wallet: str, tag: str = "pending") -> int:
        return decode_uint(
            await self.provider.eth_call(self.chain.token_address, encode_balance_of(wallet), tag)
        )

    async def send_approved(
        self, wallet: str, report: RunReport, slot: nonces.Slot, *, retries_only: bool
    ) -> None:
        todo = await pipeline.candidates(self.rt.db, wallet, retries_only=retries_only)
        if not todo:
            return
        in_flight = await pipeline.in_flight_count(self.rt.db, wallet)
        if in_flight >= self.max_in_flight:
            return
        try:
            async with self.rt.db.session() as session:
                account = await keystore.load_account(session, keystore.cipher_for(self.rt.config), wallet)
                await session.commit()
        except keystore.KeystoreError as exc:
            report.skipped = str(exc)
            log.error("payout_key_unavailable", wallet=wallet, error=str(exc))
            return
        try:
            usdt = await self._usdt_balance(wallet)
            bnb = await self.provider.get_balance(wallet, "pending")
            gas_price = min(await self.provider.gas_price(), self.max_gas_price)
        except RpcError as exc:
            for payout in todo:
                await self._fail(payout, RetryErrorKind.RPC, f"balance/gas price: {exc}", report)
            return
        budget = _Budget(usdt=usdt, bnb=bnb, in_flight=in_flight)
        min_net = await self.rt.store.get("payout.min_net_amount")
        for payout in todo:
            if budget.in_flight >= self.max_in_flight or not slot:
                break
            try:
                await self._send_one(wallet, account, payout, gas_price, min_net, budget, report)
            except RefusedPayout as exc:
                await self._refuse(payout, str(exc), report)
            except nonces.ForeignTransactions as exc:
                # Nothing was signed. The payout goes straight to the dead-letter queue: an admin resolves
                # it as paid (one of those transactions paid it) or retries it once the history is
                # accepted — it never resumes by itself after the acceptance.
                log.critical(
                    "payout_wallet_foreign_transactions", wallet=wallet, books=exc.books, chain=exc.chain
                )
                if wallet not in report.halted:
                    report.halted.append(wallet)
                    await pipeline.alert_foreign_transactions(self.rt, wallet, exc.books, exc.chain)
                await self._fail(payout, RetryErrorKind.OTHER, f"not signed: {exc}", report, dlq_now=True)
            except Exception:  # one payout's failure never stops the others
                log.exception("payout_send_error", payout_id=payout.id)
                report.errors.append(payout.id)

    async def _send_one(
        self,
        wallet: str,
        account: LocalAccount,
        payout: Payout,
        gas_price: int,
        min_net: Decimal,
        budget: _Budget,
        report: RunReport,
    ) -> None:
        usdt, bnb = budget.usdt, budget.bnb
        if await pipeline.banned_user(self.rt.db, payout.user_id):
            return  # waits until an admin rejects it or unbans the user (§3.9)
        if not is_valid_address(payout.to_address) or payout.net_amount < min_net:
            await self._fail(payout, RetryErrorKind.OTHER, "invalid destination or net below minimum", report)
            return
        if usdt < payout.raw_amount:
            await self._fail(
                payout,
                RetryErrorKind.INSUFFICIENT_USDT,
                f"USDT balance {usdt} < {payout.raw_amount}",
                report,
            )
            await self._low_balance_alert(wallet, usdt, bnb)
            return
        data = encode_transfer(payout.to_address, payout.raw_amount)
        try:
            estimate = await self.provider.estimate_gas(
                {"from": wallet, "to": self.chain.token_address, "data": data}
            )
        except RpcCallError as exc:
            kind = (
                RetryErrorKind.REVERTED
                if any(m in exc.message.lower() for m in REVERT_MARKERS)
                else RetryErrorKind.RPC
            )
            await self._fail(payout, kind, f"gas estimate: {exc.message}", report)
            return
        except RpcError as exc:
            await self._fail(payout, RetryErrorKind.RPC, f"gas estimate: {exc}", report)
            return
        gas_limit = int((Decimal(estimate) * self.multiplier).to_integral_value(rounding=ROUND_CEILING))
        if bnb < gas_limit * gas_price:
            await self._fail(
                payout,
                RetryErrorKind.INSUFFICIENT_GAS,
                f"BNB balance {bnb} < {gas_limit * gas_price}",
                report,
            )
            await self._low_balance_alert(wallet, usdt, bnb)
            return
        try:
            pending = await self.provider.agreed_transaction_count(wallet)
        except RpcError as exc:
            await self._fail(payout, RetryErrorKind.RPC, f"nonce: {exc}", report)
            return
        tx = await self._sign_and_persist(payout.id, account, wallet, data, gas_limit, gas_price, pending)
        if tx is None:
            return
        fault_point("after_persist")
        await self._broadcast(tx)
        fault_point("after_broadcast")
        await pipeline.mark_sent(self.rt.db, payout.id, tx.id)
        report.sent.append(payout.id)
        budget.usdt -= payout.raw_amount
        budget.bnb -= gas_limit * gas_price
        budget.in_flight += 1

    def _sign(self, account: LocalAccount, nonce: int, data: str, gas_limit: int, gas_price: int) -> str:
        """A legacy (EIP-155) call of the token with ``data``; the signed bytes as hex."""
        signed = account.sign_transaction(
            {
                "chainId": self.chain.chain_id,
                "nonce": nonce,
                "to": cast("ChecksumAddress", to_checksum(self.chain.token_address)),
                "value": 0,
                "gas": gas_limit,
                "gasPrice": gas_price,
                "data": bytes.fromhex(data.removeprefix("0x")),
            }
        )
        return "0x" + bytes(signed.raw_transaction).hex()

    async def _sign_and_persist(
        self,
        payout_id: int,
        account: LocalAccount,
        wallet: str,
        data: str,
        gas_limit: int,
        gas_price: int,
        chain_pending: int,
    ) -> PayoutTransaction | None:
        async with self.rt.db.transaction() as session:
            payout = await pipeline.begin_signing(session, payout_id)
            if payout is None:
                return None
            problem = await pipeline.integrity_problem(session, payout, self.chain.decimals)
            if problem is None and data != encode_transfer(payout.to_address, payout.raw_amount):
                problem = "the payout row changed after its pre-checks"
            if problem is not None:
                raise RefusedPayout(problem)  # rolls the signing state back: no nonce taken
            nonce = (
                payout.nonce
                if payout.nonce is not None
                else await nonces.reserve(session, wallet, chain_pending)
            )
            raw_hex = self._sign(account, nonce, data, gas_limit, gas_price)
            tx = await pipeline.record_signed(
                session,
                payout,
                wallet=wallet,
                nonce=nonce,
                raw_hex=raw_hex,
                tx_hash=transaction_hash(raw_hex),
                gas_limit=gas_limit,
                gas_price_wei=gas_price,
            )
        log.info("payout_signed", payout_id=payout_id, nonce=nonce, tx_hash=tx.tx_hash)
        return tx

    async def _refuse(self, payout: Payout, problem: str, report: RunReport) -> None:
        """The row disagrees with the books (tampering or a bug): dead-lettered at once, never sent."""
        log.error("payout_refused", payout_id=payout.id, problem=problem)
        await self._fail(
            payout, RetryErrorKind.OTHER, f"refused before signing: {problem}", report, dlq_now=True
        )

    async def _fail(
        self, payout: Payout, kind: RetryErrorKind, error: str, report: RunReport, *, dlq_now: bool = False
    ) -> None:
        failure = await pipeline.fail_attempt(self.rt.db, payout.id, kind, error, dlq_now=dlq_now)
        report.failed.append((payout.id, str(kind)))
        log.warning("payout_attempt_failed", payout_id=payout.id, kind=str(kind), error=error[:200])
        if failure is not None and failure.in_dlq:
            report.dead_lettered.append(payout.id)
            await pipeline.alert_dlq(self.rt, payout.id, failure, kind, error)

    # ---------------------------------------------------------------------------------- balances
    async def _low_balance_alert(self, wallet: str, usdt_raw: int, bnb_wei: int) -> None:
        await pipeline.alert_low_balance(
            self.rt,
            wallet,
            raw_to_amount(usdt_raw, self.chain.decimals),
            raw_to_amount(bnb_wei, BNB_DECIMALS),
        )

    async def check_low_balance(self, wallet: str) -> bool:
        """§4.6.10: USDT or BNB under its threshold → admin alert (at most every 6 h); a "recovered" note
        once when it clears. True when low."""
        try:
            usdt = await self._usdt_balance(wallet, "latest")
            bnb = await self.provider.get_balance(wallet)
        except RpcError:
            return False
        low_usdt = raw_to_amount(usdt, self.chain.decimals) < await self.rt.store.get(
            "payout.low_usdt_threshold"
        )
        low_bnb: bool = raw_to_amount(bnb, BNB_DECIMALS) < await self.rt.store.get("payout.low_bnb_threshold")
        if low_usdt or low_bnb:
            await self._low_balance_alert(wallet, usdt, bnb)
        else:
            await pipeline.note_balance_recovered(
                self.rt, wallet, raw_to_amount(usdt, self.chain.decimals), raw_to_amount(bnb, BNB_DECIMALS)
            )
        return low_usdt or low_bnb


def sender_for(rt: Runtime, chain: ChainRuntime) -> PayoutSender:
    """A sender over the active chain runtime (stateless: the wallet slot is a DB lease + lock)."""
    return PayoutSender(rt, chain)


def _described(view: MinedView) -> str:
    known = ",".join(sorted("mined" if s is None else str(s) for s in view.statuses)) or "none"
    return f"answered={view.answered} statuses={known}"
