"""Hourly performance report (en)."""

TEXTS: dict[str, str] = {
    "report.ms": "ms",
    "report.head": (
        "📈 <b>Performance report</b> (last {minutes} min)\n"
        "Updates: {updates} · errors: {errors}\n"
        "Update latency: p50 {p50} · p95 {p95}"
    ),
    "report.rpc_title": "<b>RPC endpoints</b> (requests / errors / mean latency):",
    "report.rpc_line": "• {endpoint}: {requests} / {errors} / {mean}",
    "report.rpc_none": "RPC: no requests in this window.",
    "report.jobs": "<b>Jobs</b> (runs/failures): {jobs}",
    "report.queues": "<b>Queues</b>: {queues}",
    "report.system": (
        "<b>System</b>: CPU {cpu}% · RSS {rss} MB · memory {memory}% · disk {disk}% ({tier}) · "
        "event-loop lag {lag} ms · DB pool {pool}"
    ),
}
