"""The sweep: enqueue whatever the database says is waiting.

Redis is only the executor. A sign-up saved while Redis was down, a job lost with a flushed Redis,
an email whose job vanished: the database still says they wait, and the sweep queues them again.
Running it often, or twice at once, is harmless: job ids are unique and jobs are idempotent.
"""

from dataclasses import dataclass

from sqlalchemy import select

from portal import queue
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.programs import current_program
from portal.seats import seats_left


@dataclass(frozen=True)
class SweepReport:
    activations: int
    emails: int
    not_enqueued: int


def enqueue_waiting_work() -> SweepReport:
    waiting_states = [RequestState.APPROVED]
    if seats_left(current_program()) > 0:
        waiting_states.append(RequestState.WAITLISTED)
    request_ids = db.session.scalars(
        select(SignupRequest.id).where(SignupRequest.state.in_(waiting_states)).order_by(SignupRequest.id)
    ).all()
    email_ids = db.session.scalars(
        select(OutboundEmail.id).where(OutboundEmail.status == EmailStatus.PENDING).order_by(OutboundEmail.id)
    ).all()
    db.session.rollback()  # end the read transaction before talking to Redis
    failures = sum(not queue.enqueue_activation(request_id) for request_id in request_ids)
    failures += sum(not queue.enqueue_email_delivery(email_id) for email_id in email_ids)
    return SweepReport(activations=len(request_ids), emails=len(email_ids), not_enqueued=failures)
