"""Every schedule of the portal, in one place.

Periodic jobs run from one `flask --app wsgi scheduler` process (RQ's cron scheduler has no leader
lock: run exactly one). Each periodic job works from what the database says is due, so a run
missed while the scheduler was down is caught up by the next one, and a doubled run is harmless.
"""

from dataclasses import dataclass

#: Waits between tries of an email after a temporary SMTP failure (GOV.UK Notify's ladder):
#: 10 seconds, 1 minute, 5 minutes, 1 hour, 4 hours; after the last the email is marked failed.
EMAIL_RETRY_INTERVALS = [10, 60, 5 * 60, 60 * 60, 4 * 60 * 60]


@dataclass(frozen=True)
class PeriodicJob:
    function: str
    every_seconds: int
    why: str


PERIODIC_JOBS = [
    PeriodicJob(
        "jobs.sweep.sweep",
        every_seconds=60,
        why="enqueue sign-ups and emails the database says are waiting (e.g. saved while Redis was down)",
    ),
]


def register_schedule(scheduler, queue_name: str) -> None:
    """Register the periodic jobs with an `rq.cron.CronScheduler`."""
    from importlib import import_module

    for periodic in PERIODIC_JOBS:
        module_name, function_name = periodic.function.rsplit(".", 1)
        function = getattr(import_module(module_name), function_name)
        scheduler.register(function, queue_name=queue_name, interval=periodic.every_seconds, result_ttl=600)
