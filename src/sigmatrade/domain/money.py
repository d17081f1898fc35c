"""Money rules (SPEC §1.6): exact decimals, conversions to/from raw token units, rounding."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
HUNDRED = Decimal(100)  # percent base
MONEY_PLACES = 18
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)  # 1e-18
CENT = Decimal("0.01")


class MoneyError(ValueError):
    """A value cannot be used as money."""


def to_decimal(value: object) -> Decimal:
    """Coerce a stored/serialised value to Decimal without ever going through float."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise MoneyError("boolean is not money")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise MoneyError(f"not a decimal: {value!r}") from exc
    else:
        raise MoneyError(f"unsupported money type: {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError("money must be finite")
    return result


def canonical(value: Decimal) -> str:
    """Canonical text form: plain notation, no exponent, no trailing zeros, '0' for zero."""
    if not value.is_finite():
        raise MoneyError("money must be finite")
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def quantize_accrual(value: Decimal) -> Decimal:
    """Accruals and commissions: full precision, quantised to 18 decimals, ROUND_DOWN."""
    return value.quantize(MONEY_QUANTUM, rounding=ROUND_DOWN)


def quantize_fee(value: Decimal) -> Decimal:
    """Fees: quantised to 0.01, ROUND_HALF_UP."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def floor_cents(value: Decimal) -> Decimal:
    """Round down to 0.01 (display and 'withdraw all')."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def raw_to_amount(raw: int, decimals: int) -> Decimal:
    """Raw integer token units -> token amount (exact)."""
    return Decimal(raw).scaleb(-decimals)


def amount_to_raw(amount: Decimal, decimals: int) -> int:
    """Token amount -> raw integer units; refuses amounts that are not an integer number of units."""
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than {decimals} decimals")
    return int(scaled)


# At most 60 whole digits: any limit's checks see the number (and refuse it as above the maximum),
# and it stays well inside the decimal context's 100 digits (99+ digits made quantising raise).
MAX_WHOLE_DIGITS = 60
_USER_AMOUNT = re.compile(rf"^(\d{{1,{MAX_WHOLE_DIGITS}}})(?:[.,](\d{{1,2}}))?$")


def parse_user_amount(text: str) -> Decimal | None:
    """Strict parse of a user-typed amount: 1–60 digits, optional '.' or ',' and at most 2 decimals.

    Returns None for anything else (signs, exponents, spaces inside, NaN, infinity, 3+ decimals, more
    than 60 whole digits).
    """
    match = _USER_AMOUNT.match(text.strip())
    if not match:
        return None
    whole, frac = match.groups()
    return Decimal(f"{whole}.{frac}") if frac else Decimal(whole)


def format_amount(value: Decimal, lang: str = "en", places: int = 2) -> str:
    """Display form: `places` decimals, ROUND_DOWN, thousands grouped per locale."""
    quantum = Decimal(1).scaleb(-places)
    q = value.quantize(quantum, rounding=ROUND_DOWN)
    sign = "-" if q < 0 else ""
    whole, _, frac = format(abs(q), "f").partition(".")
    sep = "\u00a0" if lang == "ru" else ","
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    dec_mark = "," if lang == "ru" else "."
    return sign + sep.join(groups) + (dec_mark + frac if places else "")


def format_rate(value: Decimal) -> str:
    """Percent rates are shown as stored, without trailing zeros (up to 4 decimals)."""
    return canonical(value.quantize(Decimal("0.0001"), rounding=ROUND_DOWN))
