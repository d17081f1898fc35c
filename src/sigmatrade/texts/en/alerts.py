"""Admin alerts (en)."""

TEXTS: dict[str, str] = {
    "alert.unexpected_error": "🐞 Unexpected error <b>{error}</b>, request <code>{ref}</code>.",
    "alert.notification_gave_up": "🔕 Gave up delivering a “{category}” notification to {recipient}: {error}",
    "alert.job_failing": "🚨 Job <b>{job}</b> failed {failures} times in a row ({error}).",
    "alert.job_recovered": "✅ Job <b>{job}</b> works again.",
}
