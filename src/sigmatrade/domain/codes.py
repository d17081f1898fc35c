"""Generated secrets and codes (CSPRNG, no modulo bias: ``secrets.choice``)."""

from __future__ import annotations

import re
import secrets

# 12-character financial password from an alphabet without ambiguous characters (0/O, 1/l/I).
FINPASS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
FINPASS_LENGTH = 12
# Referral codes and master keys (SPEC §3.4.1, §5.7.3).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERRAL_CODE_LENGTH = 8
_MASTER_KEY = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def new_finpass() -> str:
    return "".join(secrets.choice(FINPASS_ALPHABET) for _ in range(FINPASS_LENGTH))


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def new_master_key() -> str:
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(4))


def normalise_master_key(text: str) -> str:
    return text.strip().upper()


def looks_like_master_key(text: str) -> bool:
    return bool(_MASTER_KEY.match(normalise_master_key(text)))


def looks_like_finpass(text: str) -> bool:
    text = text.strip()
    return len(text) == FINPASS_LENGTH and all(ch in FINPASS_ALPHABET for ch in text)
