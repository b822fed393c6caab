"""Every schedule of the portal, in one place.

Periodic jobs run from one `flask --app wsgi scheduler` process: RQ's own cron scheduler
(`rq.cron`), which enqueues each job onto the portal's queue at its interval or cron time. It has
no leader lock, so run exactly one; and since it does not catch up runs it missed while down,
every periodic job works from what the database says is due: a missed run is made up by the next
one, and a doubled run does nothing twice.

The days behind reminders and removals are the program's (`[follow_up]` in its TOML file); the
jobs below decide hourly which of them are due.
"""

from dataclasses import dataclass

#: Waits between tries of an email after a temporary SMTP failure (GOV.UK Notify's ladder):
#: 10 seconds, 1 minute, 5 minutes, 1 hour, 4 hours; after the last the email is marked failed.
EMAIL_RETRY_INTERVALS = [10, 60, 5 * 60, 60 * 60, 4 * 60 * 60]


@dataclass(frozen=True)
class PeriodicJob:
    function: str
    why: str
    every_seconds: int | None = None
    #: Or a cron line, in the scheduler's local time (RQ reads cron strings as local time).
    cron: str | None = None

    @property
    def when(self) -> str:
        return f"every {self.every_seconds} s" if self.every_seconds else f"cron {self.cron}"


PERIODIC_JOBS = [
    PeriodicJob(
        "jobs.sweep.sweep",
        every_seconds=60,
        why="enqueue sign-ups and emails the database says are waiting (saved while Redis was down, "
            "or left by a killed worker); mark emails stuck in sending as failed",
    ),
    PeriodicJob(
        "jobs.waitlist.promote_waitlist",
        every_seconds=5 * 60,
        why="give free seats to the oldest waiting requests (returned seats are handed over at once; "
            "this catches a raised cap)",
    ),
    PeriodicJob(
        "jobs.followup.send_due_follow_ups",
        every_seconds=60 * 60,
        why="reminders (invitation not accepted, join-by date near, inactivity) and removals "
            "(never joined, inactive)",
    ),
    PeriodicJob(
        "jobs.exports.export_provider_files",
        # Hourly, not nightly: cron reads the scheduler machine's clock (often UTC), and the file for
        # a day is due once that day is over in the program's time zone. A day already exported is not made again.
        cron="5 * * * *",
        why="the provider's daily file of newly invited learners, for every finished program-local day "
            "not yet exported (one file per day)",
    ),
    PeriodicJob(
        "jobs.retention.purge_expired",
        cron="40 3 * * *",  # a quiet hour; a missed day is made up by the next (it purges whatever is due)
        why="delete the personal data of requests closed longer ago than the program's retention period "
            "(and of old export files), keeping anonymous counts and an audit row for each",
    ),
]


def register_schedule(scheduler, queue_name: str) -> None:
    """Register the periodic jobs with an `rq.cron.CronScheduler`."""
    from importlib import import_module

    for periodic in PERIODIC_JOBS:
        module_name, function_name = periodic.function.rsplit(".", 1)
        function = getattr(import_module(module_name), function_name)
        scheduler.register(function, queue_name=queue_name, interval=periodic.every_seconds, cron=periodic.cron,
                           result_ttl=600)
