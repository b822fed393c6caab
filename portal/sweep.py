"""The sweep: enqueue whatever the database says is waiting.

Redis is only the executor. A sign-up saved while Redis was down, a job lost with a flushed Redis,
a job whose worker was killed, an email whose job vanished: the database still says they wait,
and the sweep queues them again. Running it often, or twice at once, is harmless: job ids are
unique and jobs are idempotent. (Waiting-list requests are not the sweep's: `promote_waitlist`
hands out free seats in order.)
"""

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy import select

from portal import queue
from portal.extensions import db
from portal.models import EmailStatus, OutboundEmail, RequestState, SignupRequest
from portal.outbox import fail_stuck_emails

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    activations: int
    emails: int
    #: Not enqueued because Redis did not answer.
    not_enqueued: int
    stuck_emails: int = 0
    #: Not enqueued (or abandoned jobs not recovered) because RQ itself failed, with Redis up: logged,
    #: and the next sweep tries again.
    rq_errors: int = 0


def enqueue_waiting_work() -> SweepReport:
    stuck_emails = fail_stuck_emails()
    request_ids = db.session.scalars(
        select(SignupRequest.id).where(SignupRequest.state == RequestState.APPROVED).order_by(SignupRequest.id)
    ).all()
    # An approved request's confirmation waits for its activation job, which sends it (jobs.activation).
    left_to_activation = (SignupRequest.state == RequestState.APPROVED) & (OutboundEmail.kind == "confirmation")
    email_ids = db.session.scalars(
        select(OutboundEmail.id).join(OutboundEmail.signup_request)
        .where(OutboundEmail.status == EmailStatus.PENDING, ~left_to_activation)
        .order_by(OutboundEmail.id)
    ).all()
    db.session.rollback()  # end the read transaction before talking to Redis
    rq_errors = 0
    try:
        queue.recover_abandoned_jobs()
    except RedisError as error:
        log.warning("Could not check for abandoned jobs (%s)", error)
    except Exception:  # RQ's own error: the sweep goes on, the next one tries again
        log.exception("RQ could not recover abandoned jobs")
        rq_errors += 1
    failures = sum(not queue.enqueue_activation(request_id) for request_id in request_ids)
    failures += sum(not queue.enqueue_email_delivery(email_id) for email_id in email_ids)
    if failures and queue.redis_answers():
        rq_errors, failures = rq_errors + failures, 0  # Redis is up: RQ itself refused (logged as it did)
    return SweepReport(activations=len(request_ids), emails=len(email_ids), not_enqueued=failures,
                       stuck_emails=stuck_emails, rq_errors=rq_errors)
