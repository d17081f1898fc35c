"""``sigmatrade demo``: the real bot end to end against the built-in Bot API emulator and a local chain.

No token, no internet: an emulator over HTTP, anvil with the 18-decimal test token, and a
temporary SQLite database. Prints a readable transcript and a summary; exit code 0 on success.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from sigmatrade.chain import keystore
from sigmatrade.chain.payout_sender import sender_for
from sigmatrade.chain.runtime import active_chain
from sigmatrade.db.models import Deposit, LedgerAccount, Payout, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutStatus
from sigmatrade.domain.money import canonical
from sigmatrade.jobs.tasks import blockchain_monitor
from sigmatrade.ledger.balances import user_balances
from sigmatrade.ledger.check import run_check
from sigmatrade.logging import setup_logging
from sigmatrade.sandbox import demo_rewards
from sigmatrade.sandbox.chain import LocalChain
from sigmatrade.sandbox.emulator.client import UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.sandbox.transcript import Transcript
from sigmatrade.services import audit, backup
from sigmatrade.services import settings as settings_service
from sigmatrade.services.admin import admins

CONFIRMATIONS = 3
ADMIN_ID = 900  # SUPER_ADMIN_IDS of the demo: bootstrapped as super admin at start
DEMO_ENCRYPTION_KEY = base64.b64encode(b"sigmatrade-demo-keystore-key-32b").decode()


class DemoFailure(AssertionError):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailure(what)


FINPASS = re.compile(r"^([A-Za-z0-9]{12})$", re.MULTILINE)  # the password sits on a line of its own


async def register(out: Transcript, client: UserClient, wallet: str, *, ru: bool) -> str:
    """Register through the bot; returns the financial password shown once."""
    await out.press(client, "📝 Регистрация" if ru else "📝 Register")
    ex = await out.send(client, wallet)
    if wallet == wallet.lower() and any(c.isalpha() for c in wallet[2:]):
        expect("EIP-55" in ex.text, "an all-lower-case address asks for confirmation")
        ex = await out.press(client, "✅ Продолжить" if ru else "✅ Continue")
    found = FINPASS.search(ex.text)
    expect(found is not None, "the financial password is shown once")
    assert found is not None
    return found.group(1)


async def verify(out: Transcript, client: UserClient, finpass: str, *, ru: bool) -> None:
    await out.press(client, "✅ Подтвердить пароль" if ru else "✅ Verify password")
    await out.send(client, finpass)
    await out.press(client, "⏭ Пропустить" if ru else "⏭ Skip")


async def referral_code(h: Harness, telegram_id: int) -> str:
    async with h.rt.db.session() as session:
        code = await session.scalar(select(User.referral_code).where(User.telegram_id == telegram_id))
    expect(code is not None, "the user exists")
    return str(code)


async def is_verified(h: Harness, telegram_id: int) -> bool:
    async with h.rt.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        return bool(user is not None and user.is_verified)


async def referrer_of(h: Harness, telegram_id: int) -> int | None:
    async with h.rt.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
        if user is None or user.referrer_id is None:
            return None
        ref = await session.get(User, user.referrer_id)
        return None if ref is None else ref.telegram_id


async def admin_login(h: Harness, out: Transcript) -> UserClient:
    """The operator issues the bootstrapped super admin's master key (``sigmatrade admin reset-key``);
    the admin logs in inside Telegram with it."""
    async with h.rt.db.transaction() as session:
        issued = await admins.reset_key(session, ADMIN_ID)
    out.note(f"sigmatrade admin reset-key {ADMIN_ID} → master key {issued.key} (printed once)")
    admin = h.user(ADMIN_ID, "Operator", username="operator_demo", language_code="en")
    ex = await out.send(admin, "/admin")
    expect("master key" in ex.text, "/admin asks for the master key")
    ex = await out.send(admin, issued.key)
    expect("Admin panel" in ex.text, "the key opens the admin panel")
    expect(len(ex.deleted) == 1, "the key message is deleted")
    return admin


async def payout_wallet(h: Harness, chain: LocalChain) -> str:
    """The payout key loaded as ``sigmatrade wallet set-payout-key --initial`` loads it, then funded."""
    account = chain.accounts[4]
    async with h.rt.db.transaction() as session:
        stored = await keystore.store_key(session, keystore.cipher_for(h.rt.config), account.key.hex())
        await settings_service.write(session, "payout.wallet_address", stored.address, None)
        await audit.log(
            session,
            audit.CLI,
            "payout_wallet_initial",
            target_type="setting",
            details={"address": stored.address},
        )
    h.rt.store.invalidate()
    await chain.fund(stored.address, usdt="1000", bnb_wei=10**18)
    return stored.address


async def pay_out(h: Harness, chain: LocalChain, out: Transcript) -> None:
    """One payment processor run (sign, persist, broadcast), N blocks, one more run (confirm)."""
    chain_rt = active_chain(h.rt)
    expect(chain_rt is not None, "the chain runtime is running")
    assert chain_rt is not None
    report = await sender_for(h.rt, chain_rt).run()
    expect(len(report.sent) == 1, f"one payout signed and broadcast (got {report})")
    out.note(f"payment processor: payout #{report.sent[0]} signed, persisted, broadcast")
    await chain.mine(CONFIRMATIONS)
    report = await sender_for(h.rt, chain_rt).run()
    expect(len(report.confirmed) == 1, f"the payout is confirmed after {CONFIRMATIONS} blocks")
    out.note(f"{CONFIRMATIONS} blocks later: payout #{report.confirmed[0]} confirmed")


async def run_script(h: Harness, chain: LocalChain, out: Transcript) -> list[str]:
    checks: list[str] = []
    out.section("0. Admin bootstrap (SUPER_ADMIN_IDS) and login inside Telegram")
    admin = await admin_login(h, out)
    wallet = await payout_wallet(h, chain)
    out.note(f"payout wallet {wallet} loaded into the keystore (encrypted) and funded")
    checks.append("admin bootstrap, master key issued once, login inside Telegram")
    out.section("1. A Russian-speaking guest: /start and help")
    anna = h.user(501, "Анна", username="anna_demo", language_code="ru")
    ex = await out.send(anna, "/start")
    expect("Добро пожаловать" in ex.text, "welcome in Russian")
    ex = await out.press(anna, "❓ Помощь")
    expect("Уровни депозита" in ex.text, "help in Russian")
    checks.append("ru welcome and help served over HTTP")

    out.section("2. An English-speaking guest: /start, help, language switch")
    bob = h.user(502, "Bob", username="bob_demo", language_code="en")
    ex = await out.send(bob, "/start")
    expect("Welcome to SigmaTrade" in ex.text, "welcome in English")
    ex = await out.send(bob, "/help")
    expect("Deposit levels" in ex.text, "help in English")
    await out.press(bob, "🏠 Menu")
    await out.press(bob, "🌐 Language")
    ex = await out.press(bob, "🇷🇺 Русский")
    expect("Добро пожаловать" in ex.text, "language switched to Russian")
    checks.append("en welcome/help and the language switch")

    out.section("3. The local chain")
    head = await chain.block_number()
    out.note(f"anvil at {chain.url}, chain id {chain.chain_id}, head block {head}")
    out.note(f"test USDT (18 decimals) at {chain.token_address}")
    checks.append("local chain with the test token is up")

    out.section("4. Anna registers (no invite) and shares her referral link")
    await out.send(anna, "/start")
    anna_finpass = await register(out, anna, chain.accounts[2].address, ru=True)
    await verify(out, anna, anna_finpass, ru=True)
    expect(await is_verified(h, anna.id), "Anna is verified")
    code = await referral_code(h, anna.id)
    out.note(f"Anna's referral code: {code}")
    checks.append("registration and verification in Russian")

    out.section("5. Carl follows Anna's link: /start with a referral code → registration → verification")
    carl = h.user(503, "Carl <b>&</b>", username="carl_demo", language_code="en")
    ex = await out.send(carl, f"/start {code}")
    expect("Welcome to SigmaTrade" in ex.text, "welcome with a referral payload")
    carl_finpass = await register(out, carl, chain.accounts[3].address.lower(), ru=False)
    await verify(out, carl, carl_finpass, ru=False)
    expect(await is_verified(h, carl.id), "Carl is verified")
    notes = [m for m in anna.messages() if "carl_demo" in m.body]
    expect(len(notes) >= 1, "Anna is told about her new referral")
    for note in notes:
        out.note("notification to Anna:")
        out.message(note)
    expect(await referrer_of(h, carl.id) == anna.id, "Carl's referrer is Anna")
    checks.append("referral link → registration → verification, referrer notified")

    out.section("6. Carl opens level 1: the deposit activation screen")
    await out.send(carl, "/menu")
    await out.press(carl, "💼 Deposits")
    await out.press(carl, "Level 1")
    ex = await out.press(carl, "🚀 Activate level 1")
    expect(str(h.rt.config.system_wallet_address) in ex.text, "payment instructions name the system wallet")
    async with h.rt.db.session() as session:
        carl_row = await session.scalar(select(User).where(User.telegram_id == carl.id))
        assert carl_row is not None
        carl_deposit = await session.scalar(select(Deposit).where(Deposit.user_id == carl_row.id))
        assert carl_deposit is not None
    exact = canonical(carl_deposit.expected_amount)
    expect(exact in ex.text and exact != "10", f"the screen asks for the exact tagged amount {exact} USDT")
    checks.append(
        "deposit activation screen with the system wallet, exact tagged amount, network and deadline"
    )

    out.section("7. Carl pays his exact amount on the local chain; the watcher detects and confirms it")
    carl_wallet = chain.accounts[3]
    system = str(h.rt.config.system_wallet_address)
    await chain.fund(carl_wallet.address, usdt="25")
    tx = await chain.transfer(carl_wallet, system, chain.raw(exact))
    out.note(f"transfer {tx}: {exact} USDT from Carl's wallet to the system wallet")
    await blockchain_monitor.monitor_once(h.rt)
    detected = await carl.wait_message("Transfer detected")
    out.message(detected)
    await chain.mine(CONFIRMATIONS)
    out.note(f"{CONFIRMATIONS} more blocks mined")
    await blockchain_monitor.monitor_once(h.rt)
    confirmed = await carl.wait_message("Deposit confirmed")
    out.message(confirmed)
    commissions = [m for m in anna.messages() if m.body.startswith("🎁")]
    expect(len(commissions) == 1, "Anna is told about her commission")
    out.note("notification to Anna:")
    out.message(commissions[0])
    async with h.rt.db.session() as session:
        anna_row = await session.scalar(select(User).where(User.telegram_id == anna.id))
        assert anna_row is not None
        anna_available = (await user_balances(session, anna_row.id)).available
    expect(anna_available == Decimal("0.3"), f"Anna earned exactly 3 % (got {anna_available})")
    checks.append("on-chain deposit detected, confirmed after N blocks, 3 % commission to the referrer")

    out.section("8. Carl tries to withdraw 5 USDT with an empty available balance")
    await out.send(carl, "/menu")
    ex = await out.press(carl, "💸 Withdraw")
    expect("minimum withdrawal" in ex.text, "withdrawal refused for low balance")
    checks.append("withdrawal request refused for a low balance")

    checks += await demo_rewards.run(h, out, carl, expect)

    out.section("10. Carl withdraws the 50 USDT his deposit earned, with his financial password")
    carl_address = chain.accounts[3].address
    before = await chain.balance_of(carl_address)
    await out.send(carl, "/menu")
    await out.press(carl, "💸 Withdraw")
    await out.press(carl, "➕ New withdrawal")
    await out.send(carl, "50")
    await out.press(carl, "✅ Confirm")
    ex = await out.send(carl, carl_finpass)
    expect("created" in ex.text, "the withdrawal request is created")
    async with h.rt.db.session() as session:
        payout = await session.scalar(select(Payout).where(Payout.status == PayoutStatus.REQUESTED))
    expect(payout is not None, "the request waits for an admin")
    assert payout is not None
    checks.append("withdrawal requested with the financial password, amount held")

    out.section("11. The admin approves it in the panel")
    await out.send(admin, "/admin")
    await out.press(admin, "💸 Withdrawals")
    await out.press(admin, f"#{payout.id} · 50.00 USDT")
    ex = await out.press(admin, "✅ Approve")
    expect("approved" in str(ex.answer), "the admin is told the payout is approved")
    checks.append("admin approved the withdrawal in Telegram")

    out.section("12. The payment processor pays it on the local chain; Carl is told with the link")
    await pay_out(h, chain, out)
    done = await carl.wait_message(f"Payout #{payout.id} completed")
    out.message(done)
    after = await chain.balance_of(carl_address)
    expect(
        after - before == chain.raw("50"),
        f"Carl's wallet received exactly 50 USDT (got {after - before} raw)",
    )
    checks.append("payout sent and confirmed on chain: exactly 50 USDT to Carl's registered wallet")

    async with h.rt.db.session() as session:
        report = await run_check(session)
        verified = await audit.verify(session)
    expect(report.ok, "ledger check passes")
    checks.append("ledger check passes")
    expect(verified.ok, "audit verify passes")
    checks.append(f"audit verify passes ({verified.rows} rows)")

    checks.append(await backup_and_restore(h, out))

    rejected = h.emulator.rejected()
    expect(not rejected, f"the emulator refused {len(rejected)} request(s)")
    checks.append(f"{len(h.emulator.requests)} Bot API requests, none refused")
    return checks


async def _balances(db: Database) -> dict[str, Decimal]:
    async with db.session() as session:
        rows = (await session.execute(select(LedgerAccount.code, LedgerAccount.balance))).all()
    return {code: Decimal(balance) for code, balance in rows}


async def backup_and_restore(h: Harness, out: Transcript) -> str:
    """SPEC §9.6: an encrypted, verified backup of the demo database, restored into an empty one that
    passes the ledger check and the audit verification with the same balances."""
    out.section("9. Backup of the demo database and a restore check")
    config = h.rt.config
    outcome = await backup.run_backup(config, h.rt.store)
    result = outcome.result
    out.note(f"backup {result.path.name}: {result.size} bytes, encrypted and verified")
    restored_url = f"sqlite+aiosqlite:///{Path(config.backup_dir).parent / 'restored.db'}"
    await backup.restore(config.model_copy(update={"database_url": restored_url}), result.path)
    copy = Database(restored_url)
    try:
        async with copy.session() as session:
            ledger = await run_check(session)
            chain = await audit.verify(session)
        same = await _balances(copy) == await _balances(h.rt.db)
    finally:
        await copy.dispose()
    expect(ledger.ok, "the restored database passes the ledger check")
    expect(chain.ok, "the restored database passes the audit verification")
    expect(same, "the restored database has the same balances")
    out.note("restored into an empty database: ledger check OK, audit chain intact, balances identical")
    return "encrypted backup verified and restored: ledger check, audit verify and balances match"


async def main(*, keep: bool = False, verbose: bool = False) -> int:
    setup_logging("INFO" if verbose else "ERROR", "console")
    out = Transcript()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="sigmatrade-demo-"))
    out.section("SigmaTrade demo — bot ↔ Bot API emulator (HTTP) ↔ local chain (anvil)")
    out.note(f"working directory: {workdir}")
    chain = LocalChain()
    harness: Harness | None = None
    try:
        await chain.start()
        await chain.deploy_token()
        harness = Harness(
            f"sqlite+aiosqlite:///{workdir / 'demo.db'}",
            data_dir=str(workdir),
            backup_dir=str(workdir / "backups"),
            backup_encryption_key=base64.b64encode(os.urandom(32)).decode(),
            usdt_contract_address=chain.token_address,
            chain_id=chain.chain_id,
            system_wallet_address=chain.accounts[1].address,
            bsc_rpc_urls=chain.url,
            confirmation_blocks=CONFIRMATIONS,
            chain_start_block=await chain.block_number() + 1,
            super_admin_ids=str(ADMIN_ID),
            encryption_key=DEMO_ENCRYPTION_KEY,
        )
        await harness.start()
        checks = await run_script(harness, chain, out)
    except Exception as exc:
        out.section("DEMO FAILED")
        traceback.print_exception(exc, file=sys.stdout)
        return 1
    finally:
        if harness is not None:
            await harness.stop()
        await chain.stop()
        if not keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(workdir)
    out.section("Summary")
    for item in checks:
        out.note(f"✔ {item}")
    out.note(f"finished in {time.monotonic() - started:.1f}s")
    return 0
