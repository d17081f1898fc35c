"""BSC / EVM address rules (SPEC §1.6): format, EIP-55 checksum, normalisation, display."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sigmatrade.domain.hashing import keccak256

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")
ZERO_ADDRESS = "0x" + "0" * 40


class AddressError(StrEnum):
    FORMAT = "format"
    CHECKSUM = "checksum"


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    checksum: str  # EIP-55 form
    lower: str
    was_checksummed: bool  # the input already carried a valid mixed-case checksum


def to_checksum(address: str) -> str:
    """EIP-55 form of a 0x-prefixed 40-hex address (any case)."""
    body = address[2:].lower()
    digest = keccak256(body.encode()).hex()
    out = [ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(body)]
    return "0x" + "".join(out)


def parse_address(text: str) -> ParsedAddress | AddressError:
    """Validate user input. Mixed case must carry a valid checksum; all-lower/all-upper are accepted."""
    if not _HEX40.match(text):
        return AddressError.FORMAT
    body = text[2:]
    checksum = to_checksum(text)
    is_single_case = body == body.lower() or body == body.upper()
    if not is_single_case and text != checksum:
        return AddressError.CHECKSUM
    return ParsedAddress(
        checksum=checksum, lower=checksum.lower(), was_checksummed=not is_single_case or text == checksum
    )


def is_valid_address(text: str) -> bool:
    return isinstance(parse_address(text), ParsedAddress)


def short(address: str) -> str:
    """Short display form: first 6 + '…' + last 4 characters."""
    if len(address) <= 11:
        return address
    return f"{address[:6]}…{address[-4:]}"
