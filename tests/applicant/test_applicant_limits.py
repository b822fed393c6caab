"""Limits on the status page, "send it again" and the join link (limits on, with their defaults)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.identifiers import new_reference_code
from tests.conftest import hidden_fields
from tests.factories import make_invited_signup, make_signup


@pytest.fixture
def app_settings():
    return {"RATELIMIT_ENABLED": True}


def _guesses(app, forms: list[dict], *, client_address: str | None = None) -> Counter:
    """Post status forms 8 at a time from one client (a new address per form when None)."""
    def post(numbered):
        number, form = numbered
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = client_address or f"198.51.100.{number % 250 + 1}"
        return client.post("/en/status", data={**hidden_fields(client, "/en/status"), **form}).status_code

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(post, enumerate(forms)))


def test_guessing_reference_codes_from_one_client_is_stopped(app):
    """Issue 8: 8 threads guessed 435 codes a second for 15 s and never saw a 429. One client now
    gets 30 answers a minute; a person checking their own request needs a handful."""
    with app.app_context():
        real = make_signup().reference_code
    guesses = [{"reference_code": new_reference_code(), "email": f"person{n}@example.com"} for n in range(120)]
    statuses = _guesses(app, guesses, client_address="203.0.113.9")
    assert statuses == {200: 30, 429: 90}
    assert _guesses(app, [{"reference_code": real, "email": "maria.gonzalez@example.com"}],
                    client_address="203.0.113.10") == {200: 1}  # another client is not affected


def test_guessing_codes_for_one_mailbox_from_many_clients_is_stopped(app):
    guesses = [{"reference_code": new_reference_code(), "email": f"Maria.Gonzalez+{n}@example.com"} for n in range(40)]
    assert _guesses(app, guesses) == {200: 20, 429: 20}


def test_asking_again_and_again_for_the_invitation_is_limited_per_client(app):
    with app.app_context():
        signups = [make_invited_signup(email=f"invited{n}@example.com") for n in range(12)]
        forms = [{"reference_code": s.reference_code, "email": s.email, "action": "resend"} for s in signups]
    statuses = _guesses(app, forms, client_address="203.0.113.20")
    assert statuses == {200: 10, 429: 2}


def test_the_join_link_is_limited_per_client(app):
    from portal.links import join_token

    with app.app_context():
        url = f"/en/join/{join_token(make_invited_signup().reference_code)}"
    client = app.test_client()
    statuses = Counter(client.get(url).status_code for _ in range(65))
    assert statuses == {200: 60, 429: 5}
