"""Admin alerts (ru)."""

TEXTS: dict[str, str] = {
    "alert.unexpected_error": "🐞 Необработанная ошибка <b>{error}</b>, запрос <code>{ref}</code>.",
    "alert.notification_gave_up": "🔕 Не удалось доставить уведомление «{category}» пользователю {recipient}: {error}",
    "alert.job_failing": "🚨 Задача <b>{job}</b> падает {failures} раз подряд ({error}).",
    "alert.job_recovered": "✅ Задача <b>{job}</b> снова работает.",
}
