"""The sign-up form against scripts: seats drained with one mailbox written many ways, a form that
tells who applied, the bot check, and the limits per client, email domain and mailbox.

The limits are on here (the other tests turn them off), with the defaults of `portal.config`.
"""

import logging
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.extensions import limiter
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.programs import current_program
from portal.seats import seats_taken
from tests.conftest import hidden_fields, post_form
from tests.factories import FORM_DATA


@pytest.fixture
def app_settings():
    return {"RATELIMIT_ENABLED": True}


def _flood(app, forms: list[dict], *, clients: int = 1, threads: int = 8) -> Counter:
    """Post the sign-up forms as a script does: `threads` at a time, from `clients` IP addresses
    (each with a session and the form's hidden fields, fetched once). Returns the status codes."""
    sessions = []
    for number in range(clients):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{number + 1}"
        sessions.append((client, hidden_fields(client, "/en/signup")))

    def post(index_and_form):
        index, form = index_and_form
        client, fields = sessions[index % clients]
        return client.post("/en/signup", data={**fields, **form}).status_code

    with ThreadPoolExecutor(threads) as pool:
        return Counter(pool.map(post, enumerate(forms)))


def test_a_script_cannot_drain_seats_with_one_mailbox_written_many_ways(app, smtp, run_jobs):
    """Issue 8: 300 POSTs with victim+N@ addresses from 8 threads were 300 sign-ups, 300 seats and
    516 emails in one mailbox. Now they are one person: one request, one seat, and the mailbox gets
    its confirmation, its invitation and one "you already have a request"."""
    variants = [f"victim+{n}@example.com" if n % 2 else
                f"{'.'.join('victim')}+{n}@googlemail.com" if n % 4 else f"Vic.Tim+{n}@gmail.com" for n in range(300)]
    statuses = _flood(app, [{**FORM_DATA, "email": email} for email in variants])

    assert set(statuses) <= {302, 429}
    assert statuses[302] <= 40  # the per-client limit: 40 a minute
    with app.app_context():
        requests = SignupRequest.query.all()
        assert sorted(r.email_key for r in requests) == ["victim@example.com", "victim@gmail.com"]
    run_jobs()
    with app.app_context():
        assert seats_taken(current_program()) == 2
        kinds = Counter(email.kind for email in OutboundEmail.query.filter_by(status=EmailStatus.SENT))
    assert kinds == {"confirmation": 2, "invitation": 2, "already_signed_up": 2}
    assert len(smtp.messages) == 6


def test_a_script_with_many_mailboxes_of_one_domain_is_stopped_by_the_domain_limit(app):
    """A catch-all domain makes mailboxes for free: 60 sign-ups an hour per domain, from any client.
    (Only accepted sign-ups count, so the count is taken after each answer: the requests in flight
    at that moment, here at most 8, may pass it.)"""
    forms = [{**FORM_DATA, "email": f"worker{n}@catch-all.example"} for n in range(90)]
    statuses = _flood(app, forms, clients=9)
    assert set(statuses) == {302, 429}
    assert 60 <= statuses[302] <= 60 + 8
    with app.app_context():
        assert SignupRequest.query.count() == statuses[302]


def test_large_providers_are_counted_by_mailbox_not_by_domain(app):
    forms = [{**FORM_DATA, "email": f"person.{n}@outlook.com"} for n in range(70)]
    assert _flood(app, forms, clients=7) == {302: 70}


def test_one_client_reaches_its_limit_but_a_career_center_does_not(app):
    """40 forms a minute from one address: a room of 30 people signing up at once (some sending
    the form twice after a mistake) stays under it; a script sending 100 does not."""
    room = [{**FORM_DATA, "email": f"person{n}@example.org"} for n in range(30)]
    mistakes = [{**FORM_DATA, "email": f"person{n}@example.org", "zip_code": "1220"} for n in range(8)]
    assert _flood(app, mistakes + room, threads=4) == {400: 8, 302: 30}
    script = [{**FORM_DATA, "email": f"bot{n}@example.net"} for n in range(100)]
    assert _flood(app, script)[429] >= 98  # only 2 were left in this minute
    other_client = app.test_client()
    other_client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert post_form(other_client, "/en/signup", {**FORM_DATA, "email": "someone@example.com"}).status_code == 302


def test_mistakes_in_the_form_do_not_use_up_the_mailbox_limit(app, client):
    for _attempt in range(8):
        assert post_form(client, "/en/signup", {**FORM_DATA, "zip_code": "bad"}).status_code == 400
    assert post_form(client, "/en/signup", FORM_DATA).status_code == 302


def test_a_mailbox_is_limited_to_five_sign_ups_an_hour(app):
    forms = [{**FORM_DATA, "email": f"Maria.Gonzalez+{n}@example.com"} for n in range(8)]
    assert _flood(app, forms, clients=8, threads=1) == {302: 5, 429: 3}


# --- No oracle --------------------------------------------------------------------------------

def _received_page(client, email: str) -> tuple[int, str]:
    response = post_form(client, "/en/signup", {**FORM_DATA, "email": email})
    page = client.get("/en/signup/received").get_data(as_text=True)
    assert email.lower() in page
    return response.status_code, page.replace(email.lower(), "EMAIL")


@pytest.mark.parametrize("app_settings", [{}])  # limits off: the same answer is the point here
def test_signing_up_again_answers_exactly_like_a_first_sign_up(app, smtp, run_jobs):
    """Issue 8: the same email 50 times answered 409 "already signed up" (and 302 for a new one).
    Now both get the same status, the same page; the owner of the address hears by email."""
    first_status, first_page = _received_page(app.test_client(), "maria.gonzalez@example.com")
    answers = {_received_page(app.test_client(), "Maria.Gonzalez+again@example.com") for _ in range(50)}
    new_status, new_page = _received_page(app.test_client(), "someone.new@example.com")

    assert answers == {(first_status, first_page)} == {(new_status, new_page)}
    assert first_status == 302
    run_jobs()
    reminders = [m for m in smtp.messages_to("maria.gonzalez@example.com")
                 if m["Subject"] == "You already have a request for free courses"]
    assert len(reminders) == 1  # 50 sign-ups, one email: the mailbox cannot be flooded
    with app.app_context():
        code = SignupRequest.query.filter_by(email="maria.gonzalez@example.com").one().reference_code
        assert SignupRequest.query.count() == 2
    body = reminders[0].get_body(("plain",)).get_content()
    assert code in body and "Approved" not in body
    assert "We are getting your invitation ready." in body or "Your invitation is ready." in body


def test_the_owner_is_told_again_only_after_six_hours(app, client, smtp, run_jobs):
    post_form(client, "/en/signup", FORM_DATA)
    post_form(client, "/en/signup", FORM_DATA)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=5)):
        post_form(client, "/en/signup", FORM_DATA)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=7)):
        post_form(client, "/en/signup", FORM_DATA)
    with app.app_context():
        told = OutboundEmail.query.filter_by(kind="already_signed_up").all()
        assert [email.idempotency_key.rsplit("-", 1)[1] for email in told] == ["0", "1"]


def test_the_received_page_shows_what_the_answers_decide_and_where_the_code_is(app, client):
    post_form(client, "/es/signup", {**FORM_DATA, "employment_status": "employed", "layoff_notice": "no"})
    page = client.get("/es/signup/received").get_data(as_text=True)
    assert "Por ahora no puede recibir los cursos gratuitos" in page
    assert "Le estamos enviando un correo electrónico a maria.gonzalez@example.com con su código de referencia." in page
    with app.app_context():
        assert SignupRequest.query.one().reference_code not in page


# --- The bot check ----------------------------------------------------------------------------

@pytest.mark.parametrize("app_settings", [{"SIGNUP_MIN_FILL_SECONDS": 5}])
def test_a_form_sent_faster_than_a_person_can_waits_for_review_and_looks_accepted(app, client):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        fields = hidden_fields(client, "/en/signup")
        clock.shift(2)
        fast = client.post("/en/signup", data={**fields, **FORM_DATA})
        clock.shift(10)
        person = client.post("/en/signup", data={**fields, **FORM_DATA, "email": "a.person@example.com"})
    assert fast.status_code == person.status_code == 302
    with app.app_context():
        held, approved = SignupRequest.query.order_by(SignupRequest.id).all()
        assert (held.state, held.hold_reason, held.holds_seat) == (RequestState.NEEDS_REVIEW, "bot_check", False)
        assert re.search(r"sent [23] seconds after it was opened", held.events[-1].reason)
        assert approved.state == RequestState.APPROVED and approved.hold_reason is None


@pytest.mark.parametrize(("change", "why"), [
    ({"website": "http://spam.example"}, "a field that people cannot see or reach was filled in"),
    ({"form_opened": ""}, "without the signed time it was opened"),
    ({"form_opened": "signup.0.forged"}, "without the signed time it was opened"),
])
def test_trap_field_and_missing_or_forged_time_hold_the_request(app, client, change, why):
    response = post_form(client, "/en/signup", {**FORM_DATA, **change})
    assert response.status_code == 302
    assert "We got your request" in client.get("/en/signup/received").get_data(as_text=True)
    with app.app_context():
        signup = SignupRequest.query.one()
        assert signup.state == RequestState.NEEDS_REVIEW and signup.hold_reason == "bot_check"
        assert why in signup.events[-1].reason
        assert signup.events[-1].actor == "bot check"


def test_a_form_back_with_errors_keeps_the_time_it_was_first_opened(client):
    fields = hidden_fields(client, "/en/signup")
    page = client.post("/en/signup", data={**fields, **FORM_DATA, "zip_code": "1"}).get_data(as_text=True)
    assert f'value="{fields["form_opened"]}"' in page


def test_the_trap_is_hidden_from_people_and_screen_readers(client):
    page = client.get("/en/signup").get_data(as_text=True)
    trap = re.search(r'<div class="portal-trap" aria-hidden="true">(.*?)</div>', page, re.S).group(1)
    assert 'tabindex="-1"' in trap and 'autocomplete="off"' in trap and 'name="website"' in trap


# --- Redis away -------------------------------------------------------------------------------

@pytest.mark.parametrize("app_settings", [{"RATELIMIT_ENABLED": True,
                                           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}])
def test_sign_ups_go_on_when_the_limiter_cannot_reach_redis(app, client, caplog, monkeypatch):
    # The limiter is one object for every app of this test run: put back its "storage is alive"
    # when this test ends, so the next test's limits count in Redis again from its first request.
    monkeypatch.setattr(limiter, "_storage_dead", False)
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        statuses = [post_form(client, "/en/signup", {**FORM_DATA, "email": f"p{n}@example.com"}).status_code
                    for n in range(3)]
    assert statuses == [302, 302, 302]
    assert "Rate limit storage unreachable" in caplog.text
    with app.app_context():
        assert SignupRequest.query.count() == 3


@pytest.mark.parametrize("app_settings", [{"RATELIMIT_ENABLED": True, "TRUSTED_PROXY_COUNT": 1}])
def test_behind_a_proxy_each_client_is_counted_by_its_own_address(app):
    """Without TRUSTED_PROXY_COUNT every visitor would be the load balancer, and share one limit."""
    def post(address: str, number: int) -> int:
        client = app.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        return post_form(client, "/en/signup", {**FORM_DATA, "email": f"p{number}@example.org"}).status_code

    assert [post("203.0.113.1", n) for n in range(42)].count(429) == 2
    assert post("203.0.113.2", 99) == 302
