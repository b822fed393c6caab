"""Each help-desk action, as staff do it from a request's page: the state after, its history row, its
audit row, and the email the real SMTP server received (in the applicant's language), or none; and a
refused action (wrong state, a form made before someone else acted) changes nothing."""

import pytest
from flask_babel import force_locale

from portal.extensions import db
from portal.helpdesk.contact import change_language
from portal.models import EmailStatus, OutboundEmail, RequestState, SeatPool, StaffRole, utcnow
from portal.notifications import email_subject
from portal.programs import current_program
from tests.admin.helpdesk import (
    act,
    audit_rows,
    counts,
    follow,
    held_for_review,
    page_fields,
    refused_reminder,
    reload,
)
from tests.factories import make_invited_signup, make_signup, make_staff
from tests.smtp import email_kind, text_body


def subject_in(language: str, kind: str) -> str:
    with force_locale(language):
        return email_subject(kind)


def received(smtp, address: str) -> list[str]:
    return [email_kind(message) for message in smtp.messages_to(address)]


@pytest.mark.parametrize("language", ["en", "es"])
def test_approve_a_held_request_takes_a_seat_and_invites(client, staff, smtp, run_jobs, language):
    signup = held_for_review(email="held@example.com", preferred_language=language)
    run_jobs()
    page = follow(client, act(client, signup.reference_code, "approve", {"note": "called her: a real person"}))
    assert "Approved and invited" in page
    signup = reload(signup)
    assert signup.state == RequestState.INVITED and signup.holds_seat
    assert [(event.to_state, event.actor) for event in signup.events][-2:] == [("approved", "staff"),
                                                                               ("invited", "staff")]
    assert signup.events[-2].staff_id == staff.id and "called her" in signup.events[-2].reason
    audit = audit_rows(signup)[-1]
    assert (audit.action, audit.staff_id, audit.before["state"], audit.after["state"], audit.reason) == (
        "request_approved", staff.id, "needs_review", "invited", "called her: a real person")
    run_jobs()
    invitation = smtp.messages_to("held@example.com")[-1]
    assert email_kind(invitation) == "invitation" and invitation["Subject"] == subject_in(language, "invitation")


def test_approve_with_no_seat_left_waitlists(client, staff, smtp, run_jobs):
    program = current_program()
    db.session.add(SeatPool(program=program.code, seats_taken=program.seat_cap))
    db.session.commit()
    signup = held_for_review(email="late@example.com")
    follow(client, act(client, signup.reference_code, "approve"))
    assert reload(signup).state == RequestState.WAITLISTED and not reload(signup).holds_seat
    run_jobs()
    assert received(smtp, "late@example.com")[-1] == "waitlisted"


@pytest.mark.parametrize("language", ["en", "es"])
def test_deny_asks_first_then_tells_the_applicant_why(client, staff, smtp, run_jobs, language):
    signup = held_for_review(email="deny@example.com", preferred_language=language)
    run_jobs()
    confirm_url = f"/admin/requests/{signup.reference_code}/deny"
    confirm_page = client.get(confirm_url).get_data(as_text=True)
    assert "This cannot be undone" in confirm_page and 'value="working_without_notice"' in confirm_page
    response = act(client, signup.reference_code, "deny", {"reason": "working_without_notice", "note": "has a job"},
                   fields_from=confirm_url)
    assert "Denied: the person was told why" in follow(client, response)
    signup = reload(signup)
    assert signup.state == RequestState.DENIED and signup.decision_reason == "working_without_notice"
    assert signup.events[-1].staff_id == staff.id
    assert audit_rows(signup)[-1].action == "request_denied"
    run_jobs()
    message = smtp.messages_to("deny@example.com")[-1]
    assert email_kind(message) == "not_eligible" and message["Subject"] == subject_in(language, "not_eligible")


def test_deny_without_a_reason_shows_the_form_again_with_the_note_kept(client, staff):
    signup = held_for_review()
    before = counts(signup)
    confirm_url = f"/admin/requests/{signup.reference_code}/deny"
    response = act(client, signup.reference_code, "deny", {"note": "typed before forgetting the reason"},
                   fields_from=confirm_url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose the reason" in page and "typed before forgetting" in page
    assert counts(signup) == before


def test_a_script_is_denied_without_an_email(client, staff, smtp, run_jobs):
    signup = held_for_review(email="bot@example.com")
    run_jobs()
    sent_before = received(smtp, "bot@example.com")
    act(client, signup.reference_code, "deny", {"reason": "not_a_person"},
        fields_from=f"/admin/requests/{signup.reference_code}/deny")
    run_jobs()
    assert reload(signup).state == RequestState.DENIED
    assert received(smtp, "bot@example.com") == sent_before


@pytest.mark.parametrize("language", ["en", "es"])
def test_correct_a_refused_address_and_the_invitation_goes_to_the_new_one(client, staff, smtp, run_jobs, language):
    signup = make_signup(email="mistyped@exmaple.com", preferred_language=language)
    smtp.refuse_next("550 5.1.1 No such user")  # the confirmation
    smtp.refuse_next("550 5.1.1 No such user")  # the invitation
    run_jobs()
    assert reload(signup).state == RequestState.FAILED
    page = client.get(f"/admin/requests/{signup.reference_code}").get_data(as_text=True)
    assert "550 5.1.1 No such user" in page
    confirm_url = f"/admin/requests/{signup.reference_code}/correct-email"
    response = act(client, signup.reference_code, "correct-email", {"email": "Right@Example.com"},
                   fields_from=confirm_url)
    assert "right@example.com" in follow(client, response)
    signup = reload(signup)
    assert signup.email == "right@example.com" and signup.state == RequestState.INVITED
    assert any("mistyped@exmaple.com" in (event.reason or "") for event in signup.events)  # the old one stays
    assert audit_rows(signup)[-1].action == "email_corrected"  # (the audit keeps no personal data)
    run_jobs()
    invitation = smtp.messages_to("right@example.com")[-1]
    assert email_kind(invitation) == "invitation" and invitation["Subject"] == subject_in(language, "invitation")


def test_correcting_to_an_address_with_an_open_request_is_refused(client, staff):
    make_signup(email="taken@example.com")
    signup = make_signup(email="other@example.com")
    before = counts(signup)
    response = act(client, signup.reference_code, "correct-email", {"email": "taken@example.com"},
                   fields_from=f"/admin/requests/{signup.reference_code}/correct-email")
    assert "already has an open request" in follow(client, response)
    assert counts(signup) == before


def test_resend_the_invitation_makes_a_fresh_link_and_the_old_one_says_so(client, staff, smtp, run_jobs, app):
    signup = make_invited_signup(email="lost@example.com")
    run_jobs()
    first_link = _join_link(smtp.messages_to("lost@example.com")[-1])
    follow(client, act(client, signup.reference_code, "resend-invitation"))
    run_jobs()
    invitations = [message for message in smtp.messages_to("lost@example.com") if email_kind(message) == "invitation"]
    assert len(invitations) == 2
    fresh_link = _join_link(invitations[-1])
    assert fresh_link != first_link
    assert audit_rows(reload(signup))[-1].action == "invitation_sent_again"
    applicant = app.test_client()
    assert "newer invitation" in applicant.get(first_link).get_data(as_text=True)
    assert applicant.get(fresh_link).status_code == 200


def _join_link(message) -> str:
    for word in text_body(message).split():
        if "/join/" in word:
            return word[word.index("/en/") if "/en/" in word else word.index("/es/"):].strip(".,)")
    raise AssertionError("no join link")


def test_retry_a_refused_reminder(client, staff, smtp, run_jobs):
    signup = refused_reminder(smtp, run_jobs, "full@example.com", "552 Mailbox full")
    page = client.get(f"/admin/requests/{signup.reference_code}").get_data(as_text=True)
    assert "552 Mailbox full" in page and "Try this email again" in page
    email = next(email for email in reload(signup).emails if email.kind == "reminder_not_accepted")
    fields = page_fields(client, f"/admin/requests/{signup.reference_code}")
    response = client.post(f"/admin/requests/{signup.reference_code}/emails/{email.id}/retry", data=fields)
    assert "being sent again" in follow(client, response)
    run_jobs()
    assert received(smtp, "full@example.com").count("reminder_not_accepted") == 1
    assert db.session.get(OutboundEmail, email.id, populate_existing=True).status == EmailStatus.SENT
    assert audit_rows(reload(signup))[-1].action == "email_retried"


@pytest.mark.parametrize("settlement", ["sent", "again"])
def test_settle_an_email_stuck_in_sending(client, staff, smtp, run_jobs, settlement):
    signup = make_invited_signup(email="unknown@example.com")
    invitation = next(email for email in signup.emails if email.kind == "invitation")
    invitation.status, invitation.last_attempt_at, invitation.attempts = EmailStatus.SENDING, utcnow(), 1
    invitation.last_attempt_at = utcnow().replace(year=utcnow().year - 1)  # a worker died a long time ago
    db.session.commit()
    page = client.get(f"/admin/requests/{signup.reference_code}").get_data(as_text=True)
    assert "Nobody knows whether this email arrived" in page
    fields = page_fields(client, f"/admin/requests/{signup.reference_code}")
    response = client.post(f"/admin/requests/{signup.reference_code}/emails/{invitation.id}/settle",
                           data={**fields, "settlement": settlement})
    follow(client, response)
    run_jobs()
    invitation = db.session.get(OutboundEmail, invitation.id, populate_existing=True)
    assert invitation.status == EmailStatus.SENT
    assert received(smtp, "unknown@example.com").count("invitation") == (1 if settlement == "again" else 0)
    assert audit_rows(reload(signup))[-1].after["settlement"] == settlement


def test_change_the_language_and_the_next_email_is_in_spanish(client, staff, smtp, run_jobs):
    signup = make_invited_signup(email="idioma@example.com")
    follow(client, act(client, signup.reference_code, "language", {"language": "es"}))
    assert reload(signup).preferred_language == "es"
    assert audit_rows(reload(signup))[-1].after == {"preferred_language": "es"}
    follow(client, act(client, signup.reference_code, "resend-invitation"))
    run_jobs()
    assert smtp.messages_to("idioma@example.com")[-1]["Subject"] == subject_in("es", "invitation")


def test_a_note_is_in_the_timeline_and_the_audit(client, staff):
    signup = make_signup()
    token = page_fields(client, f"/admin/requests/{signup.reference_code}")["csrf_token"]
    response = client.post(f"/admin/requests/{signup.reference_code}/note",
                           data={"csrf_token": token, "text": "Called back: she will look in her spam folder."})
    assert "spam folder" in follow(client, response)
    assert audit_rows(reload(signup))[-1].action == "note_added"


@pytest.mark.parametrize("language", ["en", "es"])
def test_withdraw_closes_tells_the_person_and_gives_the_seat_to_the_next(client, staff, smtp, run_jobs, language):
    program = current_program()
    signup = make_invited_signup(email="found-work@example.com", preferred_language=language)
    db.session.get(SeatPool, program.code).seats_taken = program.seat_cap
    db.session.commit()
    waiting = make_signup(email="waiting@example.com")
    run_jobs()
    assert reload(waiting).state == RequestState.WAITLISTED
    response = act(client, signup.reference_code, "withdraw", {"note": "found a job"},
                   fields_from=f"/admin/requests/{signup.reference_code}/withdraw")
    follow(client, response)
    signup = reload(signup)
    assert signup.state == RequestState.REMOVED and signup.removal_reason == "withdrawn" and not signup.holds_seat
    assert reload(waiting).state == RequestState.INVITED
    run_jobs()
    message = smtp.messages_to("found-work@example.com")[-1]
    assert email_kind(message) == "withdrawn" and message["Subject"] == subject_in(language, "withdrawn")
    assert received(smtp, "waiting@example.com")[-1] == "invitation"


@pytest.mark.parametrize("language", ["en", "es"])
def test_remove_then_reenrol(client, staff, smtp, run_jobs, language):
    signup = make_invited_signup(email="again@example.com", preferred_language=language)
    remove_url = f"/admin/requests/{signup.reference_code}/remove"
    response = act(client, signup.reference_code, "remove", {"note": ""}, fields_from=remove_url)
    assert response.status_code == 422  # the reason is required
    act(client, signup.reference_code, "remove", {"note": "asked by the provider: account shared"},
        fields_from=remove_url)
    signup = reload(signup)
    assert signup.state == RequestState.REMOVED and signup.removal_reason == "staff"
    run_jobs()
    assert smtp.messages_to("again@example.com")[-1]["Subject"] == subject_in(language, "removal")

    response = act(client, signup.reference_code, "reenrol")
    new_code = response.headers["Location"].rsplit("/", 1)[-1]
    assert new_code != signup.reference_code
    follow(client, response)
    from portal.signups import find_by_reference

    new = find_by_reference(new_code)
    assert new.state == RequestState.INVITED and new.entered_by_staff_id == staff.id
    run_jobs()
    welcome = smtp.messages_to("again@example.com")[-1]
    assert email_kind(welcome) == "reenrolment" and welcome["Subject"] == subject_in(language, "reenrolment")


def test_activate_an_approved_request_the_job_never_ran_for(client, staff, smtp, run_jobs):
    signup = make_signup(email="stalled@example.com")  # approved; its job waits in Redis, unrun
    follow(client, act(client, signup.reference_code, "activate"))
    assert reload(signup).state == RequestState.INVITED
    run_jobs()  # the job arrives late and finds nothing to do
    assert received(smtp, "stalled@example.com").count("invitation") == 1


def test_an_action_that_does_not_apply_to_the_state_changes_nothing(client, staff, smtp, run_jobs):
    signup = make_invited_signup(email="invited@example.com")
    run_jobs()
    before, emails_before = counts(signup), len(smtp.messages)
    assert "/approve\"" not in client.get(f"/admin/requests/{signup.reference_code}").get_data(as_text=True)
    page = follow(client, act(client, signup.reference_code, "approve"))
    assert "This cannot be done while the request is" in page
    run_jobs()
    assert counts(signup) == before and len(smtp.messages) == emails_before


def test_a_form_made_before_someone_else_acted_changes_nothing(client, staff, smtp, run_jobs):
    signup = held_for_review(email="twice@example.com")
    stale_fields = page_fields(client, f"/admin/requests/{signup.reference_code}")
    colleague = make_staff("colleague@agency.example.gov", StaffRole.HELPDESK)
    change_language(signup.id, colleague, seen_version=int(stale_fields["version"]), language="es")
    before = counts(signup)
    response = client.post(f"/admin/requests/{signup.reference_code}/approve", data=stale_fields)
    assert "changed after you opened it" in follow(client, response)
    assert counts(signup) == before and reload(signup).state == RequestState.NEEDS_REVIEW


def test_the_same_form_sent_twice_acts_once(client, staff, smtp, run_jobs):
    signup = held_for_review(email="double@example.com")
    fields = page_fields(client, f"/admin/requests/{signup.reference_code}")
    client.post(f"/admin/requests/{signup.reference_code}/approve", data=fields)
    after_first = counts(signup)
    client.post(f"/admin/requests/{signup.reference_code}/approve", data=fields)
    assert counts(signup) == after_first
    run_jobs()
    assert received(smtp, "double@example.com").count("invitation") == 1
