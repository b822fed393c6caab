"""How people write what we look requests up by: reference codes and email addresses."""

import secrets

#: Crockford's base32 without I, L, O and U: nothing to mishear or misread on the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_reference_code() -> str:
    """Eight characters in two groups of four (about 10^12 codes), e.g. "K7MQ-4X2P"."""
    characters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{characters[:4]}-{characters[4:]}"


def normalize_reference_code(typed: str) -> str:
    """What a person typed or read out, in the form we store: "k7mq 4x2p" → "K7MQ-4X2P"."""
    characters = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_READ_ALIKES)
    return f"{characters[:4]}-{characters[4:]}" if len(characters) == 8 else characters


def normalize_email(email: str) -> str:
    return email.strip().lower()
