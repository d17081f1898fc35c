"""The hourly performance report (SPEC §9.4.2): window numbers, RPC per endpoint, delivery to super
admins only when ``monitoring.report_to_admins`` is on."""

from __future__ import annotations

import secrets
from decimal import Decimal

from sigmatrade import metrics
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import JobStatus
from sigmatrade.jobs.scheduler import Scheduler
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import perf_report
from sigmatrade.services import settings as settings_service


def test_bucket_percentile_is_the_upper_bound_of_the_holding_bucket() -> None:
    d = Decimal
    buckets = {d("0.001"): 10.0, d("0.005"): 50.0, d("0.01"): 90.0, d("0.05"): 100.0, d("Infinity"): 100.0}
    assert perf_report.bucket_percentile(buckets, 0.5) == d("0.005")
    assert perf_report.bucket_percentile(buckets, 0.95) == d("0.05")
    assert perf_report.bucket_percentile(buckets, 0.1) == d("0.001")
    assert perf_report.bucket_percentile({d("0.1"): 0.0, d("Infinity"): 0.0}, 0.5) is None
    assert perf_report.bucket_percentile({}, 0.5) is None


def test_delta_subtracts_counters_and_keeps_gauges() -> None:
    before = {("x_total", ()): 5.0, ("g", ()): 7.0, ("h_bucket", (("le", "1"),)): 2.0}
    now = {("x_total", ()): 8.0, ("g", ()): 3.0, ("h_bucket", (("le", "1"),)): 6.0}
    assert perf_report.delta(now, before) == {
        ("x_total", ()): 3.0,
        ("g", ()): 3.0,
        ("h_bucket", (("le", "1"),)): 4.0,
    }


def _rpc(endpoint: str, requests: int, errors: int) -> None:
    for _ in range(requests):
        metrics.rpc_requests.labels(endpoint=endpoint, method="eth_blockNumber", outcome="ok").inc()
        metrics.rpc_duration.labels(endpoint=endpoint, method="eth_blockNumber").observe(0.02)
    if errors:
        metrics.rpc_errors.labels(endpoint=endpoint, kind="http_5xx").inc(errors)


async def test_report_is_kept_and_sent_to_super_admins_only_when_enabled(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        session.add(Admin(telegram_id=9300, role="super_admin", created_via="cli"))
        session.add(Admin(telegram_id=9301, role="admin", created_via="cli"))
    boss = harness.user(9300, "Boss", language_code="en")  # no user row: admins get the default (ru)
    helper = harness.user(9301, "Helper", language_code="en")
    boss.user.started = helper.user.started = True
    endpoint = f"rpc-{secrets.token_hex(3)}.example <x>"
    scheduler = Scheduler(harness.rt)

    await scheduler.run_now("performance_report")  # opens the window
    guest = harness.user(9310, "Guest", language_code="en")
    await guest.send("/start")
    await guest.send("/help")
    _rpc(endpoint, 3, 1)
    assert await scheduler.run_now("performance_report") == JobStatus.OK
    report = harness.rt.perf.last_report
    assert report is not None
    assert report.updates >= 2 and report.p50_ms is not None
    [line] = [e for e in report.endpoints if e.endpoint == endpoint]
    assert (line.requests, line.errors, line.mean_ms) == (3, 1, 20.0)
    assert boss.messages() == [] and helper.messages() == []  # report_to_admins is off by default

    async with harness.rt.db.transaction() as session:
        await settings_service.write(session, "monitoring.report_to_admins", True, None)
    harness.rt.store.invalidate()
    _rpc(endpoint, 2, 0)
    assert await scheduler.run_now("performance_report") == JobStatus.OK
    [message] = boss.messages()
    assert "Отчёт о производительности" in message.body
    assert f"{endpoint}: 2 / 0 / 20 мс" in message.body  # this window only, name escaped (no 400)
    assert helper.messages() == []  # super admins only


async def test_snapshot_lets_the_loop_run_and_cpu_is_measured_between_reports() -> None:
    """The registry is read a family at a time with the loop given a turn after each (a job must not
    hold updates back for the whole collection); the CPU figure compares with the previous report
    (a fresh psutil handle would always say 0.0)."""
    import asyncio
    import time

    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    turns = 0
    samples = await perf_report.snapshot()
    ticker.cancel()
    families = len(list(metrics.REGISTRY.collect()))
    assert samples and turns >= families - 1, (turns, families)

    perf_report.build({}, 1, data_dir=None, db_pool="n/a")
    burn_until = time.process_time() + 0.2
    while time.process_time() < burn_until:
        pass
    assert perf_report.build({}, 1, data_dir=None, db_pool="n/a").cpu_percent > 0
