"""Blockchain runtime alerts for admins (en): RPC endpoints, token check, thresholds."""

TEXTS: dict[str, str] = {
    "chain.alert.reconcile": (
        "🚨 <b>The books do not match the chain</b>: {count} difference(s) in blocks {start}..{end}.\n"
        "{lines}\n"
        "{more} more in the log. Run <code>sigmatrade ledger reconcile</code>."
    ),
    "chain.alert.reconcile_line": "• {side} {kind}: <code>{tx}</code> chain {chain} / books {books}",
    "chain.alert.all_down": (
        "🚨 <b>All RPC endpoints are down</b> ({endpoints}).\n"
        "Deposit detection and payouts are paused until an endpoint answers again."
    ),
    "chain.alert.recovered": "✅ RPC endpoint <b>{endpoint}</b> answers again: deposits and payouts resume.",
    "chain.alert.wrong_chain": (
        "🚨 RPC endpoint <b>{endpoint}</b> reports chain id <code>{reported}</code> "
        "instead of <code>{expected}</code>: it is not used."
    ),
    "chain.alert.decimals_mismatch": (
        "🚨 The USDT contract <code>{address}</code> reports <b>{actual}</b> decimals, "
        "but USDT_DECIMALS is <b>{expected}</b>.\n"
        "The deposit watcher and the payout sender stay disabled: fix the configuration and restart."
    ),
    "chain.alert.decimals_unverified": (
        "⚠️ Could not read <code>decimals()</code> of the USDT contract <code>{address}</code> ({error}).\n"
        "The deposit watcher and the payout sender stay disabled until the check succeeds."
    ),
    "chain.alert.enabled": (
        "✅ USDT contract checked ({decimals} decimals): the deposit watcher and the payout sender are enabled."
    ),
    "chain.alert.rpc_success_rate": (
        "⚠️ RPC endpoint <b>{endpoint}</b>: success rate {rate}% over {requests} requests in the last 5 minutes."
    ),
    "chain.alert.rpc_latency": (
        "⚠️ RPC endpoint <b>{endpoint}</b>: median latency {latency_ms} ms over the last 5 minutes."
    ),
    "chain.alert.rpc_queue": (
        "⚠️ RPC endpoint <b>{endpoint}</b>: {queued} requests waiting for the rate limiter."
    ),
    "chain.alert.rpc_utilisation": (
        "⚠️ RPC endpoint <b>{endpoint}</b>: {percent}% of the allowed concurrent requests in use "
        "over the last 5 minutes (consider a larger CHAIN_RPC_PLAN)."
    ),
}
