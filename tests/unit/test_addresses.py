from __future__ import annotations

import pytest

from sigmatrade.domain.addresses import AddressError, ParsedAddress, parse_address, short, to_checksum

CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def test_checksum_known_vector() -> None:
    assert to_checksum(CHECKSUMMED.lower()) == CHECKSUMMED


def test_valid_checksummed() -> None:
    parsed = parse_address(CHECKSUMMED)
    assert isinstance(parsed, ParsedAddress)
    assert parsed.was_checksummed and parsed.lower == CHECKSUMMED.lower()


@pytest.mark.parametrize("text", [CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()])
def test_single_case_accepted_but_flagged(text: str) -> None:
    parsed = parse_address(text)
    assert isinstance(parsed, ParsedAddress)
    assert parsed.checksum == CHECKSUMMED and not parsed.was_checksummed


def test_wrong_mixed_case_refused() -> None:
    broken = CHECKSUMMED[:-1] + ("d" if CHECKSUMMED[-1] == "D" else "D")
    assert parse_address(broken) == AddressError.CHECKSUM


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0x" + "a" * 39,
        "0x" + "a" * 41,
        "0x" + "g" * 40,
        " " + CHECKSUMMED,
        CHECKSUMMED + " ",
    ],
)
def test_format_errors(text: str) -> None:
    assert parse_address(text) == AddressError.FORMAT


def test_short_form() -> None:
    assert short(CHECKSUMMED) == "0x5aAe…BeAed"[:6] + "…" + CHECKSUMMED[-4:]
