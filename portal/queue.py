"""The RQ side as the web app sees it: one Redis connection, one queue, and enqueue helpers.

Enqueueing never fails a sign-up. The database already holds the work; if Redis is down we log it
and the periodic sweep (`jobs.sweep`) enqueues whatever is still waiting once Redis is back.
Job ids are unique per piece of work, so the sweep never stacks a second copy behind the first.
"""

import logging
from datetime import timedelta

from flask import current_app, g
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from portal.mail import longest_conversation_seconds

log = logging.getLogger(__name__)

#: Jobs by dotted path: the job modules import the services, so the services cannot import them.
ACTIVATE_REQUEST = "jobs.activation.activate_request"
SEND_EMAIL = "jobs.email.send_email"

_FINISHED_STATUSES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED}

#: How long a sign-up waits on Redis before leaving the work to the sweep. A Redis that is down
#: refuses at once; a frozen one (accepts, never answers) would otherwise hold the page.
REDIS_TIMEOUT_SECONDS = 0.5


def redis_connection() -> Redis:
    """The process's Redis client. Short timeouts and one retry, on a dropped connection only: redis-py's
    default retries a timeout ten times, which made a sign-up wait up to a minute on a frozen Redis.
    (RQ's worker raises the socket timeout of its own connection for its long blocking reads.)"""
    connection = current_app.extensions.get("portal_redis")
    if connection is None:
        connection = Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS, health_check_interval=30,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        current_app.extensions["portal_redis"] = connection
    return connection


def redis_answers() -> bool:
    try:
        return bool(redis_connection().ping())
    except RedisError:
        return False


def job_queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


#: An activation is a few statements, each stopped by the database after DATABASE_TIMEOUT_SECONDS.
#: The worker runs jobs in its own process, so RQ takes a job whose worker died as abandoned only
#: once its timeout (plus a minute) has passed: this keeps that wait short.
ACTIVATION_JOB_TIMEOUT_SECONDS = 60


def enqueue_activation(request_id: int) -> bool:
    return _enqueue_once(ACTIVATE_REQUEST, f"activate-{request_id}", request_id,
                         job_timeout=ACTIVATION_JOB_TIMEOUT_SECONDS)


def enqueue_email_delivery(email_id: int) -> bool:
    """RQ stops a job after 180 s by default; an SMTP conversation may rightly take longer (RFC 5321
    lets the relay take 10 minutes to answer the message's final "."), so the job gets as long."""
    return _enqueue_once(SEND_EMAIL, f"email-{email_id}", email_id, job_timeout=_email_job_timeout())


def enqueue_email_retry(email_id: int, seconds: int) -> bool:
    """Try the email again in `seconds` (after a temporary failure outside its own job); False when
    Redis is away (the sweep enqueues it later, since it is still pending)."""
    return _enqueue_once(SEND_EMAIL, f"email-{email_id}", email_id, job_timeout=_email_job_timeout(),
                         delay=timedelta(seconds=seconds))


def _email_job_timeout() -> int:
    return int(longest_conversation_seconds(current_app.config)) + 60


def _enqueue_once(function: str, job_id: str, *args, job_timeout: int | None = None,
                  delay: timedelta | None = None) -> bool:
    """Enqueue unless the same job is already waiting or running. False when Redis is away, or when
    RQ itself fails (logged): the database still says the work waits, so the sweep tries again.

    Once Redis has failed, the rest of this request (or job) does not wait on it again.
    """
    if g.get("redis_away"):
        return False
    queue = job_queue()
    try:
        for _attempt in range(2):
            try:
                options = dict(job_id=job_id, unique=True, result_ttl=0, failure_ttl=7 * 24 * 3600,
                               job_timeout=job_timeout)
                if delay is None:
                    queue.enqueue(function, *args, **options)
                else:
                    queue.enqueue_in(delay, function, *args, **options)
                return True
            except DuplicateJobError:
                if not _clear_finished_job(job_id, queue.connection):
                    return True  # already queued, scheduled for a retry, or running
        return True
    except RedisError as error:
        g.redis_away = True
        log.warning("Could not enqueue %s (%s); the sweep will pick it up", job_id, error)
        return False
    except Exception:  # RQ's own errors must fail neither a sign-up nor the sweep
        log.exception("RQ could not enqueue %s; the sweep will try again", job_id)
        return False


def _clear_finished_job(job_id: str, connection: Redis) -> bool:
    """Delete a finished or failed copy of a job so the work can be queued again."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return True  # gone in between
    if job.get_status() not in _FINISHED_STATUSES:
        return False
    try:
        job.delete()
    except ValueError as error:
        # RQ 3.0 lists a job's executions 60 s longer than it keeps them: for that minute after a
        # worker was killed, deleting the job fails with "Execution … not found in Redis". A finished
        # job has no execution left to wait for, so forget the list and delete it.
        log.warning("RQ could not delete finished job %s (%s); forgetting its expired executions", job_id, error)
        connection.delete(job.execution_registry.key)
        job.delete()
    return True


def recover_abandoned_jobs() -> None:
    """Let RQ move jobs whose worker died (SIGKILL, lost machine) out of "started".

    RQ's own registry cleanup, which workers otherwise run only every few minutes: a job whose
    heartbeat expired becomes failed, so its work can be enqueued again (the database says whether
    it is still to do). Raises RedisError when Redis is away.
    """
    StartedJobRegistry(queue=job_queue()).cleanup()
