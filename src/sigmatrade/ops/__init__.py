"""Operations: backups and restore, disk tiers, memory readings, event-loop lag (SPEC §9.4–§9.6).

Pure helpers and file/database work; no bot or job imports (the jobs in ``sigmatrade.jobs.tasks``
orchestrate these and send the alerts).
"""
