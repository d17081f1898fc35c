"""One module per job. Each exposes ``NAME`` (a key of ``domain.jobs.JOB_INTERVALS``), ``async run(ctx)``
and optionally ``MONEY_CRITICAL = True`` (kept running by the disk guard's emergency tier)."""
