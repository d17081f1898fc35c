"""Reward session input rules (SPEC §2.7, §3.6.1, §5.8): pure parsing and validation.

* Rates: five percents (levels 1..5) separated by spaces or ``|``; ``.`` or ``,`` as the decimal mark;
  each 0 ≤ r ≤ 100 with at most 4 decimals; at least one > 0.
* Moments: ``DD.MM.YYYY HH:MM`` or ``YYYY-MM-DD HH:MM`` (time optional: 00:00) in the display
  timezone; a local time that does not exist (a DST gap) or is ambiguous (a DST fold) is refused.
* Window: half-open ``[starts_at, ends_at)``, ``ends_at > starts_at``; two active sessions overlap
  when ``a.start < b.end and b.start < a.end``.
* Name: trimmed, 1..100 characters.

Every refusal is a :class:`SessionInputError` whose ``code`` names the rule (a text key suffix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation

LEVELS = 5
MAX_RATE = Decimal(100)
RATE_PLACES = 4
NAME_MAX = 100

_RATE_SPLIT = re.compile(r"[\s|]+")
_RATE_TEXT = re.compile(r"\d{1,3}(?:[.,]\d+)?")
_MOMENT_FORMATS = (
    ("%d.%m.%Y %H:%M", re.compile(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}")),
    ("%Y-%m-%d %H:%M", re.compile(r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}")),
    ("%d.%m.%Y", re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")),
    ("%Y-%m-%d", re.compile(r"\d{4}-\d{1,2}-\d{1,2}")),
)


class SessionInputError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class SessionDraft:
    name: str
    starts_at: datetime
    ends_at: datetime
    rates: tuple[Decimal, ...]


def parse_rates(text: str) -> tuple[Decimal, ...]:
    parts = [p for p in _RATE_SPLIT.split(text.strip()) if p]
    if len(parts) != LEVELS:
        raise SessionInputError("rates_count")
    rates: list[Decimal] = []
    for part in parts:
        if not _RATE_TEXT.fullmatch(part):
            raise SessionInputError("rate_format")
        try:
            value = Decimal(part.replace(",", "."))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise SessionInputError("rate_format") from exc
        rates.append(check_rate(value))
    return check_rates(tuple(rates))


def check_rate(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise SessionInputError("rate_format")
    if value > MAX_RATE:
        raise SessionInputError("rate_too_large")
    if value != value.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        raise SessionInputError("rate_places")
    return value


def check_rates(rates: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
    if len(rates) != LEVELS:
        raise SessionInputError("rates_count")
    for rate in rates:
        check_rate(rate)
    if not any(rate > 0 for rate in rates):
        raise SessionInputError("rates_all_zero")
    return rates


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """A local moment typed by an admin, as timezone-aware UTC."""
    cleaned = " ".join(text.split())
    for fmt, pattern in _MOMENT_FORMATS:
        if pattern.fullmatch(cleaned):
            try:
                naive = datetime.strptime(cleaned, fmt)
            except ValueError as exc:
                raise SessionInputError("moment_invalid") from exc
            return _to_utc(naive, tz)
    raise SessionInputError("moment_format")


def _to_utc(naive: datetime, tz: tzinfo) -> datetime:
    early = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    late = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early.astimezone(tz).replace(tzinfo=None) != naive:
        raise SessionInputError("moment_nonexistent")
    if early != late:
        raise SessionInputError("moment_ambiguous")
    return early


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise SessionInputError("name_empty")
    if len(cleaned) > NAME_MAX:
        raise SessionInputError("name_too_long")
    return cleaned


def check_draft(
    name: str, starts_at: datetime, ends_at: datetime, rates: tuple[Decimal, ...]
) -> SessionDraft:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("session moments must be timezone-aware")
    if ends_at <= starts_at:
        raise SessionInputError("window_order")
    return SessionDraft(check_name(name), starts_at, ends_at, check_rates(rates))


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open windows [a_start, a_end) and [b_start, b_end) share a moment."""
    return a_start < b_end and b_start < a_end
