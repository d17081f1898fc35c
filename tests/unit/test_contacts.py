"""Contacts parsing and masking (SPEC §3.1.8): pure rules, example- and property-tested."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigmatrade.domain.contacts import (
    MASK,
    Contacts,
    ContactsError,
    ContactsProblem,
    mask_email,
    mask_phone,
    normalise_email,
    parse_contacts,
    shorten_token,
)

phones = st.builds(
    lambda first, rest: f"+{first}{rest}",
    st.sampled_from("123456789"),
    st.text("0123456789", min_size=7, max_size=14),
)
emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s),
    st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+491511234567", Contacts(phone="+491511234567")),
        ("a.b@Example.ORG", Contacts(email="a.b@example.org")),
        ("  x@y.io \n +12345678 ", Contacts(phone="+12345678", email="x@y.io")),
        ("+123456789012345", Contacts(phone="+123456789012345")),
    ],
)
def test_valid_inputs(text: str, expected: Contacts) -> None:
    assert parse_contacts(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", ContactsError.EMPTY),
        ("   ", ContactsError.EMPTY),
        ("+1234567", ContactsError.PHONE),  # 7 digits
        ("+1234567890123456", ContactsError.PHONE),  # 16 digits
        ("+0123456789", ContactsError.PHONE),
        ("89123456789", ContactsError.PHONE),  # no '+'
        ("+7(912)3456789", ContactsError.PHONE),
        ("john@", ContactsError.EMAIL),
        ("@example.org", ContactsError.EMAIL),
        ("a@b", ContactsError.EMAIL),
        ("a@b.c", ContactsError.EMAIL),  # one-letter TLD
        ("a..b@example.org", ContactsError.EMAIL),
        ("a@-x.org", ContactsError.EMAIL),
        ("a@b@c.org", ContactsError.EMAIL),
        ("hello", ContactsError.UNKNOWN),
        ("<b>x</b>", ContactsError.UNKNOWN),
        ("+12345678 +12345679", ContactsError.TWO_PHONES),
        ("a@b.io c@d.io", ContactsError.TWO_EMAILS),
        ("x" * 401, ContactsError.TOO_LONG),
    ],
)
def test_invalid_inputs(text: str, code: ContactsError) -> None:
    result = parse_contacts(text)
    assert isinstance(result, ContactsProblem) and result.code == code


@given(phones, emails, st.booleans())
def test_any_valid_pair_parses_in_either_order(phone: str, email: str, swap: bool) -> None:
    text = f"{email} {phone}" if swap else f"{phone}   {email}"
    assert parse_contacts(text) == Contacts(phone=phone, email=email)


@given(phones)
def test_phone_mask_keeps_prefix_and_last_two_digits(phone: str) -> None:
    masked = mask_phone(phone)
    digits = phone[1:]
    assert masked.startswith("+" + digits[:2]) and masked.endswith(digits[-2:])
    assert len(masked) == len(phone) and masked.count(MASK) == len(digits) - 4
    assert digits[2:-2] not in masked.replace(MASK, "") or len(digits[2:-2]) == 0


@given(emails)
def test_email_mask_hides_the_local_part(email: str) -> None:
    masked = mask_email(email)
    local, domain = email.split("@")
    assert masked == f"{local[0]}{MASK * 3}@{domain}"
    assert normalise_email(email) == email


@given(st.text(max_size=450))
def test_parser_never_crashes(text: str) -> None:
    result = parse_contacts(text)
    assert isinstance(result, Contacts | ContactsProblem)
    if isinstance(result, Contacts):
        assert not result.empty


def test_shorten_token() -> None:
    assert shorten_token("abc") == "abc"
    long = shorten_token("x" * 100)
    assert len(long) == 40 and long.endswith("…")
