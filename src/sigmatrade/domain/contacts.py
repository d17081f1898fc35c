"""Optional user contacts (SPEC §3.1.8): a phone and/or an e-mail in one message, whitespace-separated.

* Phone: E.164 — ``+`` then 8–15 digits, the first digit not 0.
* E-mail: ``local@domain.tld`` — a dot-atom local part (≤ 64 characters), a domain of at least two
  labels (letters, digits, inner hyphens) whose last label (the TLD) is 2+ letters; ≤ 254 in total.
  The domain is stored lower-case.

Pure functions: parsing returns either :class:`Contacts` or a :class:`ContactsProblem` naming the rule
that failed; masking gives the display form (the plaintext never reaches a screen after saving).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_INPUT = 400
MAX_EMAIL = 254
MAX_LOCAL = 64
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TLD = re.compile(r"^[A-Za-z]{2,63}$")
MASK = "•"


class ContactsError(StrEnum):
    EMPTY = "empty"  # nothing typed
    TOO_LONG = "too_long"  # the message is longer than any valid pair of contacts
    PHONE = "phone"  # looks like a phone number but is not E.164
    EMAIL = "email"  # contains '@' but is not a valid address
    UNKNOWN = "unknown"  # neither a phone nor an e-mail
    TWO_PHONES = "two_phones"
    TWO_EMAILS = "two_emails"


@dataclass(frozen=True, slots=True)
class Contacts:
    phone: str | None = None
    email: str | None = None

    @property
    def empty(self) -> bool:
        return self.phone is None and self.email is None


@dataclass(frozen=True, slots=True)
class ContactsProblem:
    code: ContactsError
    token: str | None = None  # the offending part of the input (callers shorten and escape it)


def is_phone(token: str) -> bool:
    return bool(_PHONE.match(token))


def normalise_email(token: str) -> str | None:
    """The address with a lower-case domain, or None when ``token`` is not a valid e-mail address."""
    if len(token) > MAX_EMAIL or token.count("@") != 1:
        return None
    local, domain = token.split("@")
    if not local or len(local) > MAX_LOCAL or not _LOCAL.match(local):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    if not _TLD.match(labels[-1]):
        return None
    return f"{local}@{domain.lower()}"


def _looks_like_phone(token: str) -> bool:
    body = token[1:] if token.startswith("+") else token
    return (
        bool(body) and all(ch.isdigit() or ch in "-()." for ch in body) and any(ch.isdigit() for ch in body)
    )


def parse_contacts(text: str) -> Contacts | ContactsProblem:
    """Parse one message: at most one phone and at most one e-mail, separated by whitespace."""
    if len(text) > MAX_INPUT:
        return ContactsProblem(ContactsError.TOO_LONG)
    tokens = text.split()
    if not tokens:
        return ContactsProblem(ContactsError.EMPTY)
    phone: str | None = None
    email: str | None = None
    for token in tokens:
        if is_phone(token):
            if phone is not None:
                return ContactsProblem(ContactsError.TWO_PHONES, token)
            phone = token
            continue
        if "@" in token:
            normalised = normalise_email(token)
            if normalised is None:
                return ContactsProblem(ContactsError.EMAIL, token)
            if email is not None:
                return ContactsProblem(ContactsError.TWO_EMAILS, token)
            email = normalised
            continue
        if _looks_like_phone(token):
            return ContactsProblem(ContactsError.PHONE, token)
        return ContactsProblem(ContactsError.UNKNOWN, token)
    return Contacts(phone=phone, email=email)


def mask_phone(phone: str) -> str:
    """``+491511234567`` -> ``+49••••••••67``: country prefix and the last two digits stay visible."""
    digits = phone.lstrip("+")
    if len(digits) <= 4:
        return "+" + MASK * len(digits)
    return f"+{digits[:2]}{MASK * (len(digits) - 4)}{digits[-2:]}"


def mask_email(email: str) -> str:
    """``john.doe@example.org`` -> ``j•••@example.org``: the first character and the domain stay visible."""
    local, _, domain = email.partition("@")
    if not domain:
        return MASK * 3
    return f"{local[:1]}{MASK * 3}@{domain}"


def shorten_token(token: str, limit: int = 40) -> str:
    """An offending input token for an error message (plain text; callers escape it)."""
    return token if len(token) <= limit else token[: limit - 1] + "…"
