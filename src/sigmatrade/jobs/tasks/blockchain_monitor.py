"""blockchain_monitor (SPEC §4.3–§4.4, §3.3.3, §7): one scan pass of the deposit watcher, then the
confirmation pass, then the expiry of pending deposits past their deadline.

* **Scan**: :meth:`chain.watcher.DepositWatcher.scan` (cursor, reorg check, detections).
* **Confirmation pass** (§4.4): :func:`chain.confirmations.confirm_pass`.
* **Expiry**: :func:`services.deposit_lifecycle.expire_pending`.
* **Reconciliation** (§4.7) every ``CHAIN_RECONCILE_MINUTES``: :func:`chain.reconcile.periodic`.

The job only orchestrates: every deposit and transfer status transition is
:mod:`services.deposit_lifecycle`. Without an enabled chain runtime only the expiry runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sigmatrade.chain import reconcile
from sigmatrade.chain.confirmations import ConfirmResult, confirm_pass
from sigmatrade.chain.provider import RpcError
from sigmatrade.chain.reconcile import Reconciliation
from sigmatrade.chain.runtime import WatcherState, active_chain
from sigmatrade.chain.watcher import DepositWatcher, ScanResult, WatchConfig
from sigmatrade.jobs.scheduler import JobContext
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services import deposit_lifecycle

NAME = "blockchain_monitor"
MONEY_CRITICAL = True

log = get_logger("sigmatrade.jobs.blockchain_monitor")


@dataclass
class MonitorResult:
    scan: ScanResult | None = None
    confirm: ConfirmResult | None = None
    expired: int = 0
    reconciled: Reconciliation | None = None
    errors: list[str] = field(default_factory=list)


def watcher_for(rt: Runtime, **overrides: Any) -> DepositWatcher | None:
    """The process's watcher over the enabled chain runtime (None while chain features are off)."""
    chain = active_chain(rt)
    if chain is None:
        return None
    config = WatchConfig.from_runtime(rt, **overrides)
    state = chain.watcher_states.setdefault(config.cursor_name, WatcherState())
    return DepositWatcher(rt, chain.provider, config, state)


async def run(ctx: JobContext) -> None:
    result = await monitor_once(ctx.rt)
    scan, confirm = result.scan, result.confirm
    ctx.details.update(
        {
            "cursor": scan.cursor if scan else None,
            "head": scan.head if scan else None,
            "detected": scan.matched if scan else 0,
            "confirmed": confirm.confirmed if confirm else 0,
            "queued": confirm.queued if confirm else 0,
            "orphaned": confirm.orphaned if confirm else 0,
            "expired": result.expired,
        }
    )
    if result.errors:
        raise RuntimeError("; ".join(result.errors)[:500])


async def monitor_once(rt: Runtime, watcher: DepositWatcher | None = None) -> MonitorResult:
    """Scan, confirm, expire. RPC trouble ends the chain part. Pending deposits expire only in a cycle
    whose scan caught up with the head (or with no chain configured): while the chain cannot be read,
    a deposit paid before its deadline would otherwise expire and its transfer land in review."""
    result = MonitorResult()
    watcher = watcher or watcher_for(rt)
    if watcher is not None:
        try:
            result.scan = await watcher.scan()
            if result.scan.error:
                result.errors.append(f"scan: {result.scan.error}")
            result.confirm = await confirm_pass(rt, watcher.provider, watcher.config)
            if result.confirm.error:
                result.errors.append(f"confirm: {result.confirm.error}")
            minutes = rt.config.chain_reconcile_minutes
            if minutes > 0:
                result.reconciled = await reconcile.periodic(rt, minutes * 60, watcher.state.reconcile)
                if result.reconciled is not None and not result.reconciled.ok:
                    result.errors.append(f"reconcile: {len(result.reconciled.differences)} difference(s)")
            for step, failed in (("scan", result.scan.failed), ("confirm", result.confirm.failed)):
                if failed:
                    result.errors.append(f"{step}: {failed} item(s) failed (see chain_*_failed logs)")
        except RpcError as exc:
            log.warning("blockchain_monitor_rpc_error", error=str(exc)[:300])
            result.errors.append(str(exc)[:300])
    if watcher is None or (result.scan is not None and result.scan.caught_up):
        result.expired = len(await deposit_lifecycle.expire_pending(rt))
    else:
        log.warning("deposit_expiry_postponed", cursor=result.scan.cursor if result.scan else None)
    return result
