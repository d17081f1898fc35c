"""Admin alerts (ru)."""

TEXTS: dict[str, str] = {
    "alert.job_failing": "🚨 Задача <b>{job}</b> падает {failures} раз подряд ({error}).",
    "alert.job_recovered": "✅ Задача <b>{job}</b> снова работает.",
}
