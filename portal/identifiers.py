"""How people write what we look requests up by: reference codes and email addresses."""

import re
import secrets
import unicodedata
from collections.abc import Callable

#: Crockford's base32 without I, L, O and U: nothing to mishear or misread on the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_reference_code(choose: Callable[[str], str] = secrets.choice) -> str:
    """Eight characters in two groups of four (about 10^12 codes), e.g. "K7MQ-4X2P". `choose` picks
    each character (a seeded `random.Random().choice` for reproducible demo data)."""
    characters = "".join(choose(REFERENCE_ALPHABET) for _ in range(8))
    return f"{characters[:4]}-{characters[4:]}"


def normalize_reference_code(typed: str) -> str:
    """What a person typed or read out, in the form we store: "k7mq 4x2p" → "K7MQ-4X2P"."""
    characters = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_READ_ALIKES)
    return f"{characters[:4]}-{characters[4:]}" if len(characters) == 8 else characters


#: Providers that deliver "j.doe", "jdoe" and "J.Doe" to one mailbox, by the name they also answer to.
_DOT_BLIND_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalize_email(email: str) -> str:
    """An address as we store it and send to it: as typed, without spaces around it, lower-cased."""
    return email.strip().lower()


def mailbox_key(email: str) -> str:
    """One key per mailbox, however the address was written: the person, for the one-open-request
    rule and for rate limits.

    Case does not matter, a plus-tag ("maria+jobs@") reaches the same mailbox at every large
    provider, and Gmail ignores dots in the name and answers to googlemail.com too. The key is never
    used to send mail: a provider that treats "+" literally would get a different address.
    """
    local, at, domain = normalize_email(email).rpartition("@")
    if not at or not local:
        return normalize_email(email)
    domain = domain.rstrip(".")
    untagged = local.split("+", 1)[0] or local
    if domain in _DOT_BLIND_DOMAINS:
        domain = _DOT_BLIND_DOMAINS[domain]
        untagged = untagged.replace(".", "") or untagged
    return f"{untagged}@{domain}"


def email_domain(email: str) -> str:
    """The domain part of an address, as `mailbox_key` writes it ("googlemail.com" → "gmail.com")."""
    return mailbox_key(email).rpartition("@")[2]


def normalize_case_id(typed: str | None) -> str | None:
    """A case-management id (OSOS ID, MOSES ID) as we store and search it: capitals, no spaces."""
    return typed.strip().upper() or None if typed else None


_NOT_LETTERS_OR_DIGITS = re.compile(r"[^0-9a-z]+")


def searchable_name(name: str) -> str:
    """A name as staff search for it: accents, case and punctuation gone, words one space apart,
    with a space in front so every word can be matched from its start.

    "María José  Hernández-Núñez" → " maria jose hernandez nunez"; staff typing "maria hernandez"
    or "MARIA NUÑEZ" find it (`search_words`).
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    plain = plain.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe").replace("ø", "o").replace("ł", "l")
    words = _NOT_LETTERS_OR_DIGITS.sub(" ", plain).split()
    return " " + " ".join(words) if words else ""


def search_words(typed: str) -> list[str]:
    """The words of what staff typed, written as `searchable_name` writes names."""
    return searchable_name(typed).split()
