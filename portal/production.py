"""What production refuses to start with.

Development is opt-in (PORTAL_ENV=development); anything else is production, where a forgotten or
unsafe setting stops `create_app` with a message that names the setting to fix, instead of a portal
that signs cookies with a key from the source or sends join links to nowhere.
"""

from urllib.parse import urlsplit

from zxcvbn import zxcvbn

from portal.config import DEVELOPMENT, OLD_DEVELOPMENT_SECRET_KEY

MIN_SECRET_KEY_LENGTH = 32
#: zxcvbn's estimate for a random 32-character key is about 10^28 guesses or more (hex) and
#: 10^30 (URL-safe base64); a phrase of common words or a keyboard pattern is far below.
MIN_SECRET_KEY_GUESSES_LOG10 = 24
#: A random key has a few short words in it by chance; a made-up key is mostly words.
MAX_SECRET_KEY_WORD_SHARE = 0.4
HOW_TO_MAKE_A_KEY = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class UnsafeSettings(RuntimeError):
    """Production settings that must be fixed before the portal may start."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            "The portal will not start in production with these settings:\n"
            f"{lines}\n"
            "(On a development machine, set PORTAL_ENV=development instead; `make run` does.)"
        )


def check_production_settings(config) -> None:
    """Raise UnsafeSettings naming every setting to fix; nothing to do in development."""
    if config.get("PORTAL_ENV") == DEVELOPMENT:
        return
    problems = []
    key_problem = secret_key_problem(config.get("SECRET_KEY"))
    if key_problem:
        problems.append(f"SECRET_KEY {key_problem}; {HOW_TO_MAKE_A_KEY}")
    if config.get("DEBUG"):
        problems.append("FLASK_DEBUG is on: the debugger shows applicants' data to anyone; turn it off")
    if not config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER is not set: set it to your SMTP relay (and MAIL_PORT, MAIL_USERNAME, ...)")
    base_url = config.get("PUBLIC_BASE_URL") or ""
    parts = urlsplit(base_url)
    if not base_url:
        problems.append("PUBLIC_BASE_URL is not set: set it to the portal's public address, e.g. https://training.example.gov")
    elif parts.scheme != "https" or not parts.netloc:
        problems.append(f"PUBLIC_BASE_URL must be an https:// address (join links are secrets), not {base_url!r}")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite") and not config.get(
            "ALLOW_SQLITE_IN_PRODUCTION"):
        problems.append("DATABASE_URL is not set, or is SQLite: set it to PostgreSQL "
                        "(or ALLOW_SQLITE_IN_PRODUCTION=1 for a single machine, knowingly)")
    if problems:
        raise UnsafeSettings(problems)


def secret_key_problem(key: str | None) -> str | None:
    """Why this key would not keep sessions and join links unforgeable, or None when it is fine."""
    if not key:
        return "is not set"
    if OLD_DEVELOPMENT_SECRET_KEY in key:
        return "is the old development key, which is published in the source"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is too short ({len(key)} characters; at least {MIN_SECRET_KEY_LENGTH} random ones are needed)"
    estimate = zxcvbn(key[:100])  # zxcvbn slows down on long input; 100 random characters are plenty
    # Plain words only: read as "l33t" or backwards, any random string is full of words.
    words = sum(len(match["token"]) for match in estimate["sequence"]
                if match["pattern"] == "dictionary" and len(match["token"]) >= 3
                and not match.get("l33t") and not match.get("reversed"))
    if estimate["guesses_log10"] < MIN_SECRET_KEY_GUESSES_LOG10 or words / len(key[:100]) >= MAX_SECRET_KEY_WORD_SHARE:
        return "does not look random (repeated characters, a sequence, or words)"
    return None
