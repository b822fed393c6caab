"""How the portal reaches the person: their email address and language, and staff notes."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.helpdesk import OPEN_STATES, ActionRefused, claim_for_staff, finish
from portal.helpdesk.deliveries import FRESH_INVITATION_STATES, issue_fresh_invitation
from portal.identifiers import mailbox_key, normalize_email
from portal.lifecycle import record_change
from portal.models import EventKind, RequestState, StaffUser
from portal.signups import open_request_for_email

#: The languages of the portal, by name, for staff.
LANGUAGE_NAMES = {"en": _l("English"), "es": _l("Spanish")}


def correct_email(request_id: int, staff: StaffUser, *, seen_version: int, new_email: str, note: str = "") -> str:
    """Write to another address (a typing mistake, a full mailbox): the old one stays in the
    history, the one-open-request rule still holds, and an invited person (or one whose invitation
    failed) gets a fresh invitation at the new address."""
    signup = claim_for_staff(request_id, allowed_states=OPEN_STATES, seen_version=seen_version)
    old_email, new_email = signup.email, normalize_email(new_email)
    if new_email == old_email:
        db.session.rollback()
        raise ActionRefused(gettext("That is the address the request already has. Nothing was changed."))
    other = open_request_for_email(signup.program, new_email)
    if other is not None and other.id != signup.id:
        db.session.rollback()
        raise ActionRefused(gettext("%(email)s already has an open request, %(code)s: one person has one request. "
                                    "Nothing was changed.", email=new_email, code=other.reference_code))
    same_mailbox = mailbox_key(new_email) == signup.email_key
    signup.email = new_email
    record_change(signup, actor="staff", staff=staff,
                  reason=f"email address changed from {old_email} to {new_email}" + (f": {note}" if note else ""))
    invited_again = signup.state in FRESH_INVITATION_STATES
    if invited_again:
        issue_fresh_invitation(signup, staff)
    try:
        finish(signup, staff, "email_corrected", before={"email": old_email}, after={"email": new_email},
               reason=note)
    except IntegrityError:  # another request took the mailbox between our check and our commit
        db.session.rollback()
        raise ActionRefused(gettext("%(email)s already has an open request: one person has one request. Nothing "
                                    "was changed.", email=new_email)) from None
    if invited_again:
        return gettext("The address is now %(email)s, and a new invitation is on its way to it. The link in "
                       "earlier invitations no longer works.", email=new_email)
    if same_mailbox:
        return gettext("The address is now %(email)s (the same mailbox, written another way).", email=new_email)
    return gettext("The address is now %(email)s. Every email from now on goes there.", email=new_email)


def change_language(request_id: int, staff: StaffUser, *, seen_version: int, language: str) -> str:
    if language not in LANGUAGE_NAMES:
        raise ActionRefused(gettext("Choose one of the languages shown."))
    signup = claim_for_staff(request_id, allowed_states=list(RequestState), seen_version=seen_version)
    old = signup.preferred_language
    if old == language:
        db.session.rollback()
        raise ActionRefused(gettext("The request already has that language. Nothing was changed."))
    signup.preferred_language = language
    record_change(signup, actor="staff", staff=staff,
                  reason=f"language changed from {old} to {language}")
    finish(signup, staff, "language_changed", before={"preferred_language": old},
           after={"preferred_language": language})
    return gettext("Emails from now on are in %(language)s.", language=LANGUAGE_NAMES[language])


def add_note(request_id: int, staff: StaffUser, *, text: str) -> str:
    """A note for the next person who opens the request (notes never conflict, so no version check)."""
    text = text.strip()
    if not text:
        raise ActionRefused(gettext("Write the note first."))
    signup = claim_for_staff(request_id, allowed_states=list(RequestState), seen_version=None)
    record_change(signup, actor="staff", staff=staff, reason=text, kind=EventKind.NOTE)
    finish(signup, staff, "note_added", reason=text)
    return gettext("Note added.")
