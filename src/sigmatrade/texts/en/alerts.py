"""Admin alerts (en)."""

TEXTS: dict[str, str] = {
    "alert.unexpected_error": "🐞 Unexpected error <b>{error}</b>, request <code>{ref}</code>.",
    "alert.notification_gave_up": "🔕 Gave up delivering a “{category}” notification to {recipient}: {error}",
    "alert.job_failing": "🚨 Job <b>{job}</b> failed {failures} times in a row ({error}).",
    "alert.job_recovered": "✅ Job <b>{job}</b> works again.",
    "alert.disk_warn": "💾 Disk {percent} % full (data directory <code>{path}</code>): old temp files deleted.",
    "alert.disk_shed": (
        "💾 Disk {percent} % full (<code>{path}</code>): backups paused, log level WARNING, old backups trimmed."
    ),
    "alert.disk_emergency": (
        "🆘 Disk {percent} % full (<code>{path}</code>): broadcasts, backups, cleanup, reports and automatic "
        "payouts paused, log level ERROR. Deposits, payouts and accruals keep running. Free space now."
    ),
    "alert.disk_recovered": "✅ Disk back to {percent} % (tier {tier}, was {was}): the {was} measures are lifted.",
    "alert.memory_process": "🧠 Memory {level}: the process uses {rss} MB (limit {limit} MB).",
    "alert.memory_system": "🧠 Memory {level}: the system uses {percent} % of its memory (limit {limit} %).",
    "alert.backup_failed": "🗄 Backup failed: {error}",
    "alert.loop_lag": "🐢 The event loop lags {lag} ms on average (limit 100 ms).",
}
