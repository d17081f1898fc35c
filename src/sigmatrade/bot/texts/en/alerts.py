"""Admin alerts (en)."""

TEXTS: dict[str, str] = {
    "alert.job_failing": "🚨 Job <b>{job}</b> failed {failures} times in a row ({error}).",
    "alert.job_recovered": "✅ Job <b>{job}</b> works again.",
}
