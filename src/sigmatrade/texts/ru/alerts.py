"""Admin alerts (ru)."""

TEXTS: dict[str, str] = {
    "alert.unexpected_error": "🐞 Необработанная ошибка <b>{error}</b>, запрос <code>{ref}</code>.",
    "alert.notification_gave_up": "🔕 Не удалось доставить уведомление «{category}» пользователю {recipient}: {error}",
    "alert.job_failing": "🚨 Задача <b>{job}</b> падает {failures} раз подряд ({error}).",
    "alert.job_recovered": "✅ Задача <b>{job}</b> снова работает.",
    "alert.disk_warn": (
        "💾 Диск заполнен на {percent} % (каталог данных <code>{path}</code>): старые временные файлы удалены."
    ),
    "alert.disk_shed": (
        "💾 Диск заполнен на {percent} % (<code>{path}</code>): резервные копии приостановлены, уровень логов "
        "WARNING, старые копии удалены."
    ),
    "alert.disk_emergency": (
        "🆘 Диск заполнен на {percent} % (<code>{path}</code>): рассылки, резервные копии, очистка, отчёты и "
        "автовыплаты приостановлены, уровень логов ERROR. Депозиты, выплаты и начисления работают. "
        "Освободите место."
    ),
    "alert.disk_recovered": "✅ Диск снова на {percent} % (уровень {tier}, был {was}): меры уровня {was} сняты.",
    "alert.memory_process": "🧠 Память ({level}): процесс занимает {rss} МБ (порог {limit} МБ).",
    "alert.memory_system": "🧠 Память ({level}): система использует {percent} % памяти (порог {limit} %).",
    "alert.backup_failed": "🗄 Резервное копирование не удалось: {error}",
    "alert.loop_lag": "🐢 Цикл событий отстаёт в среднем на {lag} мс (порог 100 мс).",
}
