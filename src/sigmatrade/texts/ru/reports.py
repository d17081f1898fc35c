"""Ежечасный отчёт о производительности (ru)."""

TEXTS: dict[str, str] = {
    "report.ms": "мс",
    "report.head": (
        "📈 <b>Отчёт о производительности</b> (за {minutes} мин)\n"
        "Обновлений: {updates} · ошибок: {errors}\n"
        "Время обработки: p50 {p50} · p95 {p95}"
    ),
    "report.rpc_title": "<b>RPC-узлы</b> (запросы / ошибки / среднее время):",
    "report.rpc_line": "• {endpoint}: {requests} / {errors} / {mean}",
    "report.rpc_none": "RPC: запросов за этот период не было.",
    "report.jobs": "<b>Задачи</b> (запуски/сбои): {jobs}",
    "report.queues": "<b>Очереди</b>: {queues}",
    "report.system": (
        "<b>Система</b>: CPU {cpu}% · RSS {rss} МБ · память {memory}% · диск {disk}% ({tier}) · "
        "задержка цикла {lag} мс · пул БД {pool}"
    ),
}
