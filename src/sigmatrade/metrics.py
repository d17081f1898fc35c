"""Prometheus metrics of SPEC §9.3 — defined once, imported where they are updated."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

updates_total = Counter(
    "sigmatrade_updates_total", "Telegram updates handled", ["type", "outcome"], registry=REGISTRY
)
update_duration = Histogram(
    "sigmatrade_update_duration_seconds",
    "Update handling time",
    ["type"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
slow_updates = Counter(
    "sigmatrade_slow_updates_total",
    "Updates still running after the watchdog threshold (UPDATE_WATCHDOG_SECONDS)",
    registry=REGISTRY,
)
updates_in_flight = Gauge(
    "sigmatrade_updates_in_flight", "Updates being handled or queued", registry=REGISTRY
)
handler_errors = Counter(
    "sigmatrade_handler_errors_total", "Unhandled errors in handlers", ["error"], registry=REGISTRY
)
rpc_requests = Counter(
    "sigmatrade_rpc_requests_total", "RPC requests", ["endpoint", "method", "outcome"], registry=REGISTRY
)
rpc_duration = Histogram(
    "sigmatrade_rpc_request_duration_seconds",
    "RPC request time",
    ["endpoint", "method"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
rpc_errors = Counter("sigmatrade_rpc_errors_total", "RPC errors", ["endpoint", "kind"], registry=REGISTRY)
rpc_score = Gauge(
    "sigmatrade_rpc_endpoint_score", "RPC endpoint health score", ["endpoint"], registry=REGISTRY
)
rpc_up = Gauge(
    "sigmatrade_rpc_endpoint_up", "RPC endpoint up (1) or down (0)", ["endpoint"], registry=REGISTRY
)
rpc_queue = Gauge(
    "sigmatrade_rpc_queue_size", "RPC requests waiting for the rate limiter", ["endpoint"], registry=REGISTRY
)
rpc_inflight = Gauge("sigmatrade_rpc_inflight", "RPC requests in flight", ["endpoint"], registry=REGISTRY)
rpc_throttled_wait = Counter(
    "sigmatrade_rpc_throttled_wait_seconds_total",
    "Time spent waiting for RPC limits",
    ["endpoint"],
    registry=REGISTRY,
)
chain_head = Gauge("sigmatrade_chain_head_block", "Chain head block", registry=REGISTRY)
chain_cursor = Gauge("sigmatrade_chain_cursor_block", "Deposit watcher cursor", registry=REGISTRY)
chain_lag = Gauge("sigmatrade_chain_lag_blocks", "Blocks between head and cursor", registry=REGISTRY)
chain_reorgs = Counter("sigmatrade_chain_reorgs_total", "Reorgs detected", registry=REGISTRY)
deposits_total = Counter("sigmatrade_deposits_total", "Deposit events", ["event"], registry=REGISTRY)
deposit_confirmation = Histogram(
    "sigmatrade_deposit_confirmation_seconds",
    "Detection to confirmation",
    buckets=(5, 15, 30, 60, 120, 300, 900, 3600),
    registry=REGISTRY,
)
accruals_total = Counter("sigmatrade_accruals_total", "Reward accruals", ["level"], registry=REGISTRY)
accrued_usdt = Counter(
    "sigmatrade_accrued_usdt_total",
    "USDT accrued (approximate, for dashboards)",
    ["level"],
    registry=REGISTRY,
)
payouts_total = Counter(
    "sigmatrade_payouts_total", "Payout transitions", ["kind", "status"], registry=REGISTRY
)
payout_duration = Histogram(
    "sigmatrade_payout_duration_seconds",
    "Approval to confirmation",
    ["kind"],
    buckets=(10, 30, 60, 120, 300, 900, 3600, 21600),
    registry=REGISTRY,
)
queue_depth = Gauge("sigmatrade_queue_depth", "Work queue depths", ["queue"], registry=REGISTRY)
notifications_failed = Counter(
    "sigmatrade_notifications_failed_total",
    "Failed notification sends",
    ["kind", "category"],
    registry=REGISTRY,
)
notifications_sent = Counter(
    "sigmatrade_notifications_sent_total", "Notifications sent", ["kind"], registry=REGISTRY
)
broadcast_messages = Counter(
    "sigmatrade_broadcast_messages_total", "Broadcast deliveries", ["status"], registry=REGISTRY
)
job_runs = Counter("sigmatrade_job_runs_total", "Job runs", ["job", "status"], registry=REGISTRY)
job_duration = Histogram(
    "sigmatrade_job_duration_seconds",
    "Job run time",
    ["job", "status"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
    registry=REGISTRY,
)
process_rss = Gauge("sigmatrade_process_memory_rss_bytes", "Process RSS", registry=REGISTRY)
loop_lag = Gauge("sigmatrade_event_loop_lag_seconds", "Event loop lag", registry=REGISTRY)
disk_usage = Gauge("sigmatrade_disk_usage_percent", "Disk usage of the data directory", registry=REGISTRY)
payout_wallet_balance = Gauge(
    "sigmatrade_payout_wallet_balance", "Payout wallet balance", ["asset"], registry=REGISTRY
)

QUEUES = (
    "withdrawals_requested",
    "payouts_approved",
    "payouts_in_flight",
    "payment_retries",
    "dlq",
    "unmatched",
    "failed_notifications",
    "broadcast_pending",
    "finpass_requests",
    "open_tickets",
)
for _q in QUEUES:
    queue_depth.labels(queue=_q).set(0)


def render() -> bytes:
    return generate_latest(REGISTRY)
