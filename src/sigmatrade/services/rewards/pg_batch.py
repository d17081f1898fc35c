"""One accrual batch planned and written by PostgreSQL in a single statement (SPEC §3.6.3–§3.6.5).

The same rules as ``domain.rewards`` (the Python ``Decimal`` plan used on SQLite, and on PostgreSQL
when commissions on accruals are on), written as one ``WITH`` statement so that no accrual crosses
the wire before it is written; what the messages need comes back as one row of arrays (deposit, user,
level, amount per accrual; the completed deposits), so Python does next to nothing per accrual:

* due periods: ``t(k) = confirmed_at + (k+1)·P`` with ``starts_at ≤ t(k) < ends_at`` and ``t(k) ≤ now``,
  in integer microseconds with floor / ceiling division (``domain.rewards.due_range``);
* missing periods: per (deposit, session range) the count and highest accrued period; a range
  without a hole accrues ``top+1 … hi``, a range with a hole every period not present;
* amount ``trunc(amount × rate × 0.01, 18)``: the product is exact in ``numeric`` (scales add up), and
  ``trunc`` of a positive value is ROUND_DOWN; ``/ 100`` would round the quotient at its own scale;
* cap: in period order, each non-zero amount is kept while ``accrued + earlier < cap``; the one that
  reaches the cap is cut to the remainder (``trimmed`` when cut) and completes the deposit;
* ``max_accruals``: plans are kept in deposit order while the running count stays within it (the
  first always), the batch then ends after the last kept deposit;
* writes: ``journal_entries`` (``accrual:<deposit>:<session>:<period>``, as ``ledger.entries
  .reward_accrual``), ``reward_accruals``, the two postings of each entry (rewards expense −, the
  user's available +), account balances, deposits (``accrued_total``, ``completed``) guarded by the
  total the plan started from.

Lock order (docs/decisions.md): the deposit rows (the guarded ``UPDATE``) and the users (``FOR KEY
SHARE``, what the foreign keys would take) are locked before the ledger accounts, which are locked
in id order; the ``lk`` CTE waits for both through its gating sub-queries. The foreign-key checks run
at the end of the statement and then find every parent row already locked by this transaction.

Ids come from the sequences inside the statement (no round trip to allocate them), in deposit and
period order. The caller holds the calculator's advisory lock, taken in an earlier statement, so the
statement's snapshot already contains every committed accrual of the deposits it plans. The caller
also turns JIT off: the planner's cost estimate for this statement is far above ``jit_above_cost`` and
compiling it costs seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.domain.enums import AccountKind, DepositStatus, EntryType, SystemAccount
from sigmatrade.ledger import accounts

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

# floor(x / y) for bigint x and y > 0 (``/`` truncates toward zero): (x − ((x % y) + y) % y) / y
_FLOOR = "(({x}) - ((({x}) % ({y})) + ({y})) % ({y})) / ({y})"


def _floor(x: str, y: str) -> str:
    return _FLOOR.format(x=x, y=y)


def _ceil(x: str, y: str) -> str:
    return f"-({_floor(f'-({x})', y)})"


_RATE = (
    "CASE dep.level WHEN 1 THEN s.rate_level_1 WHEN 2 THEN s.rate_level_2 WHEN 3 THEN s.rate_level_3"
    " WHEN 4 THEN s.rate_level_4 ELSE s.rate_level_5 END"
)

BATCH_SQL = f"""
WITH
sess AS (
  SELECT s.id, s.rate_level_1, s.rate_level_2, s.rate_level_3, s.rate_level_4, s.rate_level_5,
         CAST(extract(epoch FROM s.starts_at) * 1000000 AS bigint) AS s_us,
         CAST(extract(epoch FROM s.ends_at) * 1000000 AS bigint) AS e_us
  FROM reward_sessions s
  WHERE s.is_active AND (CAST(:only AS bigint) IS NULL OR s.id = CAST(:only AS bigint))
),
dep AS (
  SELECT d.id, d.user_id, d.level, d.amount, d.cap_amount, d.accrued_total, d.confirmed_at,
         d.accrual_period_seconds AS period,
         CAST(d.accrual_period_seconds AS bigint) * 1000000 AS p_us,
         CAST(extract(epoch FROM d.confirmed_at) * 1000000 AS bigint) AS c_us
  FROM deposits d JOIN users u ON u.id = d.user_id
  WHERE d.id > CAST(:after AS bigint) AND d.status = CAST(:confirmed AS text)
    AND NOT u.is_banned AND NOT u.earnings_blocked
    AND d.confirmed_at IS NOT NULL AND d.accrual_period_seconds > 0
    AND EXISTS (SELECT 1 FROM sess)
  ORDER BY d.id
  LIMIT CAST(:lim AS bigint)
),
rng AS (
  SELECT dep.id, s.id AS session_id, r.rate, r.j_lo - 1 AS lo, r.j_hi - 1 AS hi
  FROM dep CROSS JOIN sess s
  CROSS JOIN LATERAL (
    SELECT {_RATE} AS rate,
           greatest(1, {_ceil("s.s_us - dep.c_us", "dep.p_us")}) AS j_lo,
           least({_ceil("s.e_us - dep.c_us", "dep.p_us")} - 1,
                 {_floor("CAST(:now_us AS bigint) - dep.c_us", "dep.p_us")}) AS j_hi
  ) r
  WHERE r.rate > 0 AND r.j_hi >= r.j_lo
),
st AS (
  SELECT rng.id, rng.session_id, rng.rate, rng.lo, rng.hi, x.cnt, x.top
  FROM rng CROSS JOIN LATERAL (
    SELECT count(*) AS cnt, max(a.period_index) AS top FROM reward_accruals a
    WHERE a.deposit_id = rng.id AND a.period_index BETWEEN rng.lo AND rng.hi
  ) x
),
miss AS (
  SELECT st.id, st.session_id, st.rate, k
  FROM st CROSS JOIN LATERAL generate_series(CASE WHEN st.cnt = 0 THEN st.lo ELSE st.top + 1 END, st.hi) k
  WHERE st.cnt = 0 OR st.cnt = st.top - st.lo + 1
  UNION ALL
  SELECT st.id, st.session_id, st.rate, k
  FROM st CROSS JOIN LATERAL generate_series(st.lo, st.hi) k
  WHERE st.cnt > 0 AND st.cnt <> st.top - st.lo + 1
    AND NOT EXISTS (SELECT 1 FROM reward_accruals a WHERE a.deposit_id = st.id AND a.period_index = k)
),
amounts AS (
  SELECT miss.id, miss.session_id, miss.rate, miss.k, trunc(dep.amount * miss.rate * 0.01, 18) AS full_amount,
         dep.cap_amount AS cap, dep.accrued_total AS was
  FROM miss JOIN dep ON dep.id = miss.id
),
running AS (
  SELECT a.*, coalesce(sum(a.full_amount) OVER (PARTITION BY a.id ORDER BY a.k, a.session_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM amounts a WHERE a.full_amount > 0
),
planned AS (
  SELECT r.id, r.session_id, r.rate, r.k,
         CASE WHEN r.cap IS NOT NULL AND r.full_amount >= r.cap - r.was - r.before
              THEN r.cap - r.was - r.before ELSE r.full_amount END AS amount,
         r.cap IS NOT NULL AND r.full_amount > r.cap - r.was - r.before AS trimmed
  FROM running r WHERE r.cap IS NULL OR r.was + r.before < r.cap
),
plans AS (
  SELECT dep.id, dep.accrued_total AS was, dep.accrued_total + coalesce(p.total, 0) AS new_total,
         coalesce(p.n, 0) AS n,
         dep.cap_amount IS NOT NULL AND dep.accrued_total + coalesce(p.total, 0) >= dep.cap_amount AS completed
  FROM dep
  LEFT JOIN (SELECT id, sum(amount) AS total, count(*) AS n FROM planned GROUP BY id) p ON p.id = dep.id
  WHERE EXISTS (SELECT 1 FROM amounts a WHERE a.id = dep.id)
),
kept AS (
  SELECT q.id, q.was, q.new_total, q.n, q.completed FROM (
    SELECT plans.*, row_number() OVER w AS rn, sum(plans.n) OVER w AS upto
    FROM plans WINDOW w AS (ORDER BY plans.id ROWS UNBOUNDED PRECEDING)
  ) q
  WHERE q.rn = 1 OR q.upto <= CAST(:max AS bigint)
),
acc AS (
  SELECT nextval('journal_entries_id_seq') AS entry_id, nextval('reward_accruals_id_seq') AS accrual_id, o.*
  FROM (
    SELECT planned.id, planned.session_id, planned.rate, planned.k, planned.amount, planned.trimmed,
           dep.user_id, dep.level, dep.amount AS base_amount, dep.confirmed_at, dep.period,
           (SELECT la.id FROM ledger_accounts la WHERE la.user_id = dep.user_id AND la.kind = CAST(:available AS text))
             AS account_id
    FROM planned JOIN kept ON kept.id = planned.id JOIN dep ON dep.id = planned.id
    ORDER BY planned.id, planned.k
  ) o
),
je AS (
  INSERT INTO journal_entries (id, idempotency_key, entry_type, reference_type, reference_id, request_id,
                               created_at)
  SELECT acc.entry_id, 'accrual:' || acc.id || ':' || acc.session_id || ':' || acc.k, CAST(:entry_type AS text),
         'deposit', acc.id, CAST(:rid AS text), CAST(:now AS timestamptz)
  FROM acc
),
ra AS (
  INSERT INTO reward_accruals (id, deposit_id, session_id, period_index, accrued_at_period_end, user_id,
                               level, base_amount, rate, amount, trimmed, journal_entry_id, created_at)
  SELECT acc.accrual_id, acc.id, acc.session_id, acc.k,
         -- an integer number of seconds times one second: exact below 2^53 microseconds (285 years)
         acc.confirmed_at + CAST(acc.period AS bigint) * (acc.k + 1) * interval '1 second',
         acc.user_id, acc.level, acc.base_amount, acc.rate, acc.amount, acc.trimmed, acc.entry_id,
         CAST(:now AS timestamptz)
  FROM acc
  RETURNING deposit_id, user_id, level, amount
),
du AS (
  UPDATE deposits d
  SET accrued_total = kept.new_total,
      status = CASE WHEN kept.completed THEN CAST(:completed AS text) ELSE CAST(:confirmed AS text) END,
      completed_at = CASE WHEN kept.completed THEN CAST(:now AS timestamptz) END,
      updated_at = CAST(:now AS timestamptz)
  FROM kept
  WHERE d.id = kept.id AND (kept.n > 0 OR kept.completed)
    AND d.status = CAST(:confirmed AS text) AND d.accrued_total = kept.was
  RETURNING d.id, d.user_id, d.level, d.amount, d.cap_amount, kept.completed
),
usr AS (
  SELECT u.id FROM users u WHERE u.id IN (SELECT acc.user_id FROM acc) ORDER BY u.id FOR KEY SHARE
),
expense AS (
  SELECT la.id FROM ledger_accounts la WHERE la.code = CAST(:expense AS text)
),
delta AS (
  SELECT t.account_id, sum(t.amount) AS delta FROM (
    SELECT acc.account_id, acc.amount FROM acc
    UNION ALL SELECT (SELECT expense.id FROM expense), -acc.amount FROM acc
  ) t GROUP BY t.account_id
),
lk AS (
  SELECT la.id FROM ledger_accounts la
  WHERE la.id IN (SELECT delta.account_id FROM delta)
    AND (SELECT count(*) FROM du) >= 0 AND (SELECT count(*) FROM usr) >= 0
  ORDER BY la.id FOR UPDATE
),
lp AS (
  INSERT INTO ledger_postings (entry_id, account_id, amount, created_at)
  SELECT acc.entry_id, x.account_id, x.amount, CAST(:now AS timestamptz)
  FROM acc CROSS JOIN LATERAL (
    VALUES (0, (SELECT expense.id FROM expense), -acc.amount), (1, acc.account_id, acc.amount)
  ) x (side, account_id, amount)
  ORDER BY acc.entry_id, x.side
),
bal AS (
  UPDATE ledger_accounts la SET balance = la.balance + delta.delta
  FROM delta JOIN lk ON lk.id = delta.account_id
  WHERE la.id = delta.account_id
),
bound AS (
  SELECT CASE WHEN (SELECT count(*) FROM plans) > (SELECT count(*) FROM kept)
              THEN (SELECT max(kept.id) FROM kept) ELSE (SELECT max(dep.id) FROM dep) END AS last_id
)
SELECT (SELECT count(*) FROM sess) AS sessions, bound.last_id,
       (SELECT count(*) FROM dep WHERE dep.id <= bound.last_id) AS seen,
       (SELECT count(*) FROM kept WHERE kept.n > 0 OR kept.completed) - (SELECT count(*) FROM du) AS conflicts,
       a.deposits, a.users, a.levels, a.amounts,
       c.deposits, c.users, c.levels, c.amounts, c.caps
FROM bound,
  (SELECT array_agg(ra.deposit_id) AS deposits, array_agg(ra.user_id) AS users, array_agg(ra.level) AS levels,
          array_agg(ra.amount) AS amounts FROM ra) a,
  (SELECT array_agg(du.id ORDER BY du.id) AS deposits, array_agg(du.user_id ORDER BY du.id) AS users,
          array_agg(du.level ORDER BY du.id) AS levels, array_agg(du.amount ORDER BY du.id) AS amounts,
          array_agg(du.cap_amount ORDER BY du.id) AS caps
   FROM du WHERE du.completed) c
"""  # noqa: S608 - only the constant fragments above are formatted in; every value is bound


@dataclass
class PgBatch:
    """What one statement did: ``last_id`` is None when there was nothing to do (no active session
    or no deposit left)."""

    last_id: int | None
    seen: int = 0
    conflicts: int = 0  # planned deposit updates that did not apply (the row changed meanwhile)
    # (deposit, user, level, amount) per accrual, in the order written; (deposit, user, level, amount,
    # cap) per completed deposit, in deposit order
    accruals: list[tuple[int, int, int, Decimal]] = field(default_factory=list)
    completions: list[tuple[int, int, int, Decimal, Decimal]] = field(default_factory=list)


def microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def parameters(
    now: datetime,
    *,
    after_id: int,
    limit: int,
    only_session: int | None,
    max_accruals: int,
    request_id: str | None,
) -> dict[str, object]:
    """The bound values of ``BATCH_SQL`` (also used by the benchmark to explain one batch)."""
    return {
        "only": only_session,
        "after": after_id,
        "lim": limit,
        "max": max_accruals,
        "now": now,
        "now_us": microseconds(now),
        "rid": request_id,
        "confirmed": DepositStatus.CONFIRMED.value,
        "completed": DepositStatus.COMPLETED.value,
        "available": AccountKind.USER_AVAILABLE.value,
        "expense": accounts.system_code(SystemAccount.REWARDS_EXPENSE),
        "entry_type": EntryType.REWARD_ACCRUAL.value,
    }


async def run(
    session: AsyncSession,
    now: datetime,
    *,
    after_id: int,
    limit: int,
    only_session: int | None,
    max_accruals: int,
    request_id: str | None,
) -> PgBatch:
    """Plan and write one batch in the caller's transaction (which holds the calculator's lock)."""
    params = parameters(
        now,
        after_id=after_id,
        limit=limit,
        only_session=only_session,
        max_accruals=max_accruals,
        request_id=request_id,
    )
    row = (await session.execute(text(BATCH_SQL), params)).one()
    sessions, last_id, seen, conflicts = row[:4]
    if not sessions or last_id is None:
        return PgBatch(last_id=None)
    # one row of arrays (numeric arrays arrive as exact Decimals), not one row per accrual: cheaper to read
    accruals = list(zip(*(column or () for column in row[4:8]), strict=True))
    completions = list(zip(*(column or () for column in row[8:13]), strict=True))
    return PgBatch(int(last_id), int(seen), int(conflicts), accruals, completions)
