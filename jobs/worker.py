"""The RQ worker the portal runs: jobs in one long-lived process, under a supervisor that replaces it.

Forking a child per job (RQ's default) cost more than the jobs themselves: every child started
cold, with no database connection, no SMTP connection and no Babel data, and the fork itself took
a tenth of the time (bench/, `make bench BENCH_ARGS=--profile`). So jobs run in the worker process
itself (RQ's `SimpleWorker`), which keeps its connections and caches from job to job. What the fork
gave, that a crash or a leak dies with the job, comes from a supervisor instead: `flask --app wsgi
worker` builds and warms the app once, then forks a worker process and replaces it

- after `max_jobs` jobs, or once its memory passes `max_memory` (after the job it is doing), so a
  slow leak never grows past that;
- whenever it dies (a crash, an out-of-memory kill): its job is left "started", RQ's upkeep or the
  sweep finds it abandoned, and the database says whether its work is still to do.

The worker also takes over RQ's scheduler (delayed retries) soon after the worker that ran it died.
"""

import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.scripts import release_lock

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

#: A worker process is replaced after this many jobs, or once its resident memory passes this.
MAX_JOBS = 1000
MAX_MEMORY_MEGABYTES = 400

#: The worker process asks its supervisor for a fresh one (max jobs or max memory reached).
REPLACE_ME = 3
#: A worker process that died this soon after it started died of something a new one will meet
#: too (Redis away, a broken setting): the supervisor waits longer before each new try.
QUICK_DEATH_SECONDS = 10
LONGEST_RESTART_PAUSE_SECONDS = 30
#: `--burst` (tests, one-off drains) gives up after this many quick deaths in a row.
BURST_QUICK_DEATHS = 5


@dataclass(frozen=True)
class Limits:
    max_jobs: int = MAX_JOBS
    max_memory_bytes: int = MAX_MEMORY_MEGABYTES * 1024 * 1024


class PortalWorker(SimpleWorker):
    """RQ's `SimpleWorker` (each job in this process), which stops after the job that reaches its
    limits so that its supervisor starts a fresh one."""

    def __init__(self, *args, limits: Limits = Limits(), **kwargs):
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.jobs_done = 0
        self.replace_because: str | None = None
        self.stop_signalled = False

    def execute_job(self, job, queue):
        super().execute_job(job, queue)
        self.jobs_done += 1
        if self.jobs_done >= self.limits.max_jobs:
            self.replace_because = f"{self.jobs_done} jobs done"
        elif (memory := resident_memory_bytes()) > self.limits.max_memory_bytes:
            self.replace_because = f"{memory / 1024 / 1024:.0f} MB resident after {self.jobs_done} jobs"
        if self.replace_because:
            self.log.info("Worker %s: %s, making way for a fresh worker process", self.name, self.replace_because)
            raise StopRequested()  # RQ's work loop ends on it, as on a signal between jobs

    def request_stop(self, signum, frame):
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def run_maintenance_tasks(self):
        """RQ's upkeep, after freeing the scheduler lock of a scheduler that died, so that this
        worker's upkeep (which starts a scheduler when it can take the lock) takes over its retries."""
        if self.scheduler is not None:
            release_dead_scheduler_locks(self.connection, self.queue_names())
        super().run_maintenance_tasks()

    def exit_code(self) -> int:
        """What the supervisor should do now that `work()` returned: 0 stop (asked to, or a burst
        found the queue empty), REPLACE_ME start a fresh one, 1 it failed (RQ quit on an error)."""
        if self.replace_because:
            return REPLACE_ME
        return 0 if self.stop_signalled or self._burst_done else 1

    def work(self, *args, burst: bool = False, **kwargs):
        self._burst_done = False
        worked = super().work(*args, burst=burst, **kwargs)
        # RQ leaves its loop quietly both when a burst found nothing left and when it met an error;
        # after an error the queue may still hold work, so a burst worker says it failed.
        self._burst_done = burst and not self.replace_because and self._queues_empty()
        return worked

    def _queues_empty(self) -> bool:
        try:
            return all(queue.count == 0 for queue in self.queues)
        except Exception:  # Redis away: RQ has already logged why it quit
            return False


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


def resident_memory_bytes() -> int:
    """This process's resident memory now (Linux), or its peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- The supervisor -------------------------------------------------------------------------

def supervise(run_worker: Callable[[], int], *, burst: bool) -> int:
    """Run `run_worker` (returns REPLACE_ME, 0 or 1) in a forked process, and again in a new one
    each time that one asks for it or dies, until told to stop (SIGTERM or SIGINT, passed on to the
    worker, which finishes its job first; a second one stops it at once) or, with `burst`, until a
    worker finds the queue empty. The exit status of `flask --app wsgi worker`."""
    state = {"stopping": False, "child": 0}

    def pass_on(signum, _frame):
        state["stopping"] = True
        if state["child"]:
            _signal(state["child"], signal.SIGTERM)  # RQ: the first a warm stop, a second a cold one

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGINT, pass_on)
    quick_deaths = 0
    while not state["stopping"]:
        started = time.monotonic()
        # The warm app's objects out of the collector's reach: a collection in the worker process
        # would otherwise write to every page holding one, copying the pages it shares with us.
        gc.freeze()
        child = os.fork()
        if child == 0:
            _run_in_child(run_worker)
        _own_process_group(child)
        state["child"] = child
        if state["stopping"]:  # a signal came during the fork
            _signal(child, signal.SIGTERM)
        code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
        state["child"] = 0
        # What a dead worker process leaves behind (RQ's scheduler, which it forked) goes with it:
        # such a process holds copies of its sockets, and Redis would hand the next job to the dead
        # worker's still-open BLMOVE.
        _signal_group(child, signal.SIGKILL)
        if state["stopping"] or (code == 0 and burst):
            return 0
        if code == REPLACE_ME:
            quick_deaths = 0
            continue
        quick = time.monotonic() - started < QUICK_DEATH_SECONDS
        quick_deaths = quick_deaths + 1 if quick else 0
        how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
        if burst and quick_deaths >= BURST_QUICK_DEATHS:
            log.error("Worker process %s %s, %d times in a row within seconds: giving up", child, how, quick_deaths)
            return 1
        pause = min(2 ** quick_deaths - 1, LONGEST_RESTART_PAUSE_SECONDS)
        log.error("Worker process %s %s; starting another%s", child, how, f" in {pause} s" if pause else "")
        _sleep_unless_stopping(pause, state)
    return 0


def _run_in_child(run_worker: Callable[[], int]) -> None:
    """The forked worker process: never returns into the supervisor's code. It has a process group
    of its own, so a Ctrl-C reaches the supervisor alone (which passes it on once)."""
    _own_process_group(0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # RQ installs its own once it works
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 1
    try:
        code = run_worker()
    except BaseException:
        log.exception("The worker process failed")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _own_process_group(pid: int) -> None:
    """Both sides call it (whichever runs first wins the race; the other finds it done)."""
    try:
        os.setpgid(pid, 0)
    except OSError:
        pass


def _sleep_unless_stopping(seconds: float, state: dict) -> None:
    deadline = time.monotonic() + seconds
    while not state["stopping"] and time.monotonic() < deadline:
        time.sleep(0.1)


def warm_up(app) -> None:
    """Do once, in the supervisor, what each new worker process would otherwise redo: configure the
    ORM mappers, compile the email templates, load the program file, the catalogs and Babel's
    locale data, and import the job modules. A replaced worker process starts warm."""
    from datetime import date
    from importlib import import_module

    from flask_babel import force_locale, format_date, get_translations
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
                format_date(date.today(), "long")  # Babel's locale data, loaded once per process
