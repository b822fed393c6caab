"""The RQ worker the portal runs: builds and warms the Flask app once, before forking a child per job,
and takes over RQ's scheduler (delayed retries) soon after the worker that ran it died."""

import logging

from redis import Redis
from rq import Worker
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

from jobs.context import portal_app

log = logging.getLogger(__name__)

#: How often an idle worker wakes to do its upkeep (RQ: worker_ttl - 15 s), and how often it runs
#: it (RQ's default is 10 minutes): cleaning up abandoned jobs and checking on the scheduler.
WORKER_TTL = 30
MAINTENANCE_INTERVAL = 15
#: RQ's scheduler renews its lock every second to 61 s (its interval, 1 s, plus 60). A lock not
#: renewed for this long belongs to a scheduler that died: SIGKILL leaves it in place for a minute,
#: and RQ's own workers only try again at their next upkeep.
SCHEDULER_LOCK_SECONDS = 1 + 60
DEAD_SCHEDULER_AFTER_SECONDS = 20


class PortalWorker(Worker):
    """Each job still runs in its own forked child (a crash or leak dies with it), but the child
    inherits an app that is already built and warm instead of building it anew."""

    def __init__(self, *args, **kwargs):
        warm_up(portal_app())
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
        super().__init__(*args, **kwargs)

    def run_maintenance_tasks(self):
        """RQ's upkeep, after freeing the scheduler lock of a scheduler that died, so that this
        worker's upkeep (which starts a scheduler when it can take the lock) takes over its retries."""
        if self.scheduler is not None:
            release_dead_scheduler_locks(self.connection, self.queue_names())
        super().run_maintenance_tasks()


def release_dead_scheduler_locks(connection: Redis, queue_names: list[str]) -> list[str]:
    """Delete the scheduler locks of these queues that their owner stopped renewing; the queues freed."""
    freed = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        owner = connection.get(key)
        remaining = connection.pttl(key) / 1000
        if owner is None or remaining < 0 or remaining > SCHEDULER_LOCK_SECONDS - DEAD_SCHEDULER_AFTER_SECONDS:
            continue
        if release_lock(connection, key, owner.decode()):  # only if still that owner's
            log.warning("The scheduler for queue %s stopped renewing its lock %.0f s ago: taking over",
                        name, SCHEDULER_LOCK_SECONDS - remaining)
            freed.append(name)
    return freed


def warm_up(app) -> None:
    """Do once, in the parent, what every forked child would otherwise redo for its one job:
    configure the ORM mappers, compile the email templates, load the program file and the Spanish
    catalog, and import the job modules (bench/worker_throughput.py measures the difference)."""
    from importlib import import_module

    from flask_babel import force_locale, get_translations
    from sqlalchemy.orm import configure_mappers

    from jobs.schedule import PERIODIC_JOBS
    from portal.programs import current_program
    from portal.queue import ACTIVATE_REQUEST, SEND_EMAIL

    configure_mappers()
    for function in [ACTIVATE_REQUEST, SEND_EMAIL, *(job.function for job in PERIODIC_JOBS)]:
        import_module(function.rsplit(".", 1)[0])
    with app.app_context():
        current_program()
        for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith("email/")):
            app.jinja_env.get_template(name)
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()  # cached by Flask-Babel for every later context
