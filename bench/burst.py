"""The RQ side: the activation burst (1 web, 2 workers), the same scaled out (2 web, 4 workers), a
steady rate, and a worker's memory, against RQ no-op jobs measured in the same run.

A sign-up is done for the applicant when the SMTP server has accepted its invitation, so that is
what is timed: from the first POST of the burst to the last invitation the local SMTP server
(aiosmtpd) accepted. The workers run while the web takes the sign-ups, as on a launch day.
"""

import os
import statistics
import threading
import time
import uuid
from dataclasses import dataclass

from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry

from bench import profile
from bench.context import Context
from bench.load import SIGNUP_ANSWERS, FilledForm, fetch_form, paced_signups, wrk
from bench.report import Benchmark, Row, ratio
from bench.services import (
    BIN,
    ROOT,
    BenchmarkFailed,
    MemorySampler,
    Process,
    WebServer,
    empty_redis,
    megabytes,
    migrate_portal,
    postgres_schema,
    pss_bytes,
    query_one,
    started,
    wait_for,
)
from bench.settings import QUEUE, WRK_THREADS, portal_environment

NOOP_QUEUE = "bench-noop"
SIMPLE_WORKER = "rq.worker.SimpleWorker"
FORKING_WORKER = "rq.worker.Worker"
MEMORY_GROWTH_LIMIT = 0.10


@dataclass
class BurstResult:
    signups: int
    submit_rate: float
    submit_p99_ms: float
    seconds: float  # first POST to the last invitation accepted
    jobs_per_worker: int
    memory: "MemoryGrowth"

    @property
    def invitation_rate(self) -> float:
        return self.signups / self.seconds

    def summary(self) -> str:
        return (f"{self.invitation_rate:,.1f} invitations/s ({self.signups:,} in {self.seconds:,.0f} s; "
                f"web took {self.submit_rate:,.0f} sign-ups/s, p99 {self.submit_p99_ms:,.0f} ms)")


# --- Worker memory --------------------------------------------------------------------------

@dataclass
class MemoryGrowth:
    """Memory of each worker's process tree (PSS) once warm (5–15 % of the work done) against the
    end (the last 10 %); the largest growth of any worker."""

    before: int
    after: int

    @property
    def growth(self) -> float:
        return self.after / self.before - 1 if self.before else 0.0

    def summary(self) -> str:
        return f"{self.growth:+.1%} ({megabytes(self.before)} → {megabytes(self.after)})"


def tree_pss(process: Process) -> int:
    return sum(pss_bytes(pid) for pid in [process.pid, *process.descendants()])


class WorkerMemory:
    """Samples every worker's tree PSS with the fraction of the work done at that moment."""

    def __init__(self, workers: list[Process], done_fraction):
        self._workers = workers
        self._done = done_fraction
        self.samples: list[tuple[float, list[int]]] = []
        self._sampler = MemorySampler(self._sample, interval=0.5)

    def _sample(self) -> int:
        sizes = [tree_pss(worker) for worker in self._workers]
        if all(sizes):
            self.samples.append((self._done(), sizes))
        return 0

    def __enter__(self):
        self._sampler.__enter__()
        return self

    def __exit__(self, *exc):
        self._sampler.__exit__(*exc)

    def result(self) -> MemoryGrowth:
        everything = [sizes for _done, sizes in self.samples]
        warm = [sizes for done, sizes in self.samples if 0.05 <= done <= 0.15] or everything[:3]
        end = [sizes for done, sizes in self.samples if done >= 0.9] or everything[-3:]
        if not warm or not end:
            raise BenchmarkFailed("too few memory samples of the workers (the run was too short to sample)")
        growths = []
        for worker in range(len(self._workers)):
            before = statistics.median(sizes[worker] for sizes in warm)
            after = statistics.median(sizes[worker] for sizes in end)
            growths.append(MemoryGrowth(int(before), int(after)))
        return max(growths, key=lambda growth: growth.growth)


# --- Baselines: RQ no-op jobs ---------------------------------------------------------------

def noop_jobs(context: Context, worker_class: str, processes: int, jobs: int) -> tuple[float, MemoryGrowth]:
    """Jobs per second of `processes` RQ workers of `worker_class` draining `jobs` no-op jobs."""
    with empty_redis(context.jobs_redis_url) as redis:
        queue = Queue(NOOP_QUEUE, connection=redis)
        for start in range(0, jobs, 1000):
            with redis.pipeline() as pipeline:
                queue.enqueue_many([Queue.prepare_data("bench.baselines.noop.noop", (number,), result_ttl=0)
                                    for number in range(start, min(jobs, start + 1000))], pipeline=pipeline)
                pipeline.execute()
        command = [str(BIN / "rq"), "worker", "--burst", "--url", context.jobs_redis_url, "--path", str(ROOT),
                   "-w", worker_class, NOOP_QUEUE]
        name = worker_class.rsplit(".", 1)[1]
        began = time.perf_counter()
        factories = [lambda: Process(command, dict(os.environ), context.log(f"noop-{name}")) for _ in range(processes)]
        with started(*factories) as workers:
            memory = WorkerMemory(workers, lambda: 1 - queue.count / jobs)
            with memory:
                wait_for(lambda: not any(worker.running() for worker in workers), timeout=context.sizes.timeout,
                         what=f"{processes} {name} to drain {jobs} no-op jobs", interval=0.05)
            seconds = time.perf_counter() - began
            codes = [worker.process.returncode for worker in workers]
        failed = FailedJobRegistry(NOOP_QUEUE, connection=redis).count
        if queue.count or failed or any(codes):
            raise BenchmarkFailed(f"no-op {name}: {queue.count} left, {failed} failed, exit codes {codes}")
    return jobs / seconds, memory.result()


# --- The burst ------------------------------------------------------------------------------

def activation_burst(context: Context, web_servers: int, workers: int, profile_worker: bool = False,
                     size: int | None = None) -> BurstResult:
    per_thread = (size or context.sizes.burst) // (web_servers * WRK_THREADS)
    signups = per_thread * web_servers * WRK_THREADS
    if signups == 0:
        raise BenchmarkFailed(f"BENCH_BURST must be at least {web_servers * WRK_THREADS}")
    smtp = context.smtp
    with postgres_schema(context.postgres_url) as database_url, empty_redis(context.jobs_redis_url) as redis:
        smtp.reset()
        environment = portal_environment(database_url, context.jobs_redis_url, smtp.port)
        migrate_portal(environment, context.log("migrate"))
        web = [lambda: WebServer("wsgi:app", environment, context.log("gunicorn-portal")) for _ in range(web_servers)]
        worker_command = [str(BIN / "flask"), "--app", "wsgi", "worker"]
        queue_workers = [lambda: Process(worker_command, environment, context.log("worker")) for _ in range(workers)]
        with started(*web, *queue_workers) as processes:
            servers, worker_processes = processes[:web_servers], processes[web_servers:]
            wait_for(lambda: Worker.count(connection=redis) >= workers, timeout=60, what=f"{workers} workers")
            forms = [fetch_form(server.url + "/en/signup", SIGNUP_ANSWERS) for server in servers]
            done = lambda: len(smtp.receipts) / (2 * signups)  # noqa: E731
            with WorkerMemory(worker_processes, done) as memory, \
                    profile.worker(context, worker_processes[0], enabled=profile_worker):
                began = time.time()
                submitted = _submit_burst(context, servers, forms, per_thread)
                _check_posted_once(submitted, signups)
                _check_all_approved(database_url, signups)
                _wait_for_emails(context, worker_processes, signups)
            _wait_for_idle(context, redis)
        invitations = smtp.of_kind("invitation")
        seconds = max(moment for moment, _to, _key in invitations) - began
        _check_exactly_once(context, database_url, signups)
    submit_seconds = max(result.seconds for result in submitted)
    return BurstResult(signups, signups / submit_seconds, max(result.p99_ms for result in submitted), seconds,
                       round(signups / workers), memory.result())


def _submit_burst(context: Context, servers: list[WebServer], forms: list[FilledForm], per_thread: int):
    """One wrk per web server, at the same time, each sending its share of new sign-ups."""
    results, errors = [], []

    def submit(server: WebServer, form: FilledForm) -> None:
        try:
            results.append(wrk(server.url + "/en/signup", seconds=context.sizes.timeout,
                               connections=context.sizes.connections, log=context.log("wrk-burst"), method="POST",
                               expected=302, form=form, quota=per_thread,
                               prefix=f"burst{uuid.uuid4().hex[:6]}").check("burst sign-ups"))
        except BenchmarkFailed as error:
            errors.append(error)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(servers, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _check_posted_once(submitted, signups: int) -> None:
    """wrk posted each sign-up once: no more answers than the quotas, so no address went twice."""
    answered = sum(result.ok + result.unexpected for result in submitted)
    if answered != signups:
        raise BenchmarkFailed(f"wrk had {answered} sign-ups answered for {signups} posted (see the wrk-burst logs)")


def _check_all_approved(database_url: str, signups: int) -> None:
    """Fail at once, not after the drain's timeout, when sign-ups went anywhere but to activation."""
    held = query_one(database_url, "SELECT count(*) FROM signup_requests WHERE state IN ('needs_review', 'denied')")
    if held:
        raise BenchmarkFailed(f"{held} of {signups} sign-ups went to needs_review or denied: a protection (e.g. a "
                              "seat guard) needs raising for benchmarks in bench/settings.py")


def _wait_for_emails(context: Context, workers: list[Process], signups: int) -> None:
    began = last_said = time.monotonic()

    def all_accepted() -> bool:
        nonlocal last_said
        if not all(worker.running() for worker in workers):
            dead = next(worker for worker in workers if not worker.running())
            raise BenchmarkFailed(f"a worker exited during the burst: {dead.tail(600)}")
        if time.monotonic() - last_said > 60:  # a long drain says how far it is
            last_said = time.monotonic()
            print(f"   {last_said - began:,.0f} s: {len(context.smtp.receipts):,} of {2 * signups:,} emails accepted",
                  flush=True)
        return len(context.smtp.receipts) >= 2 * signups

    try:
        wait_for(all_accepted, timeout=context.sizes.timeout, what="every email", interval=0.05)
    except BenchmarkFailed as error:
        counts = {kind: len(context.smtp.of_kind(kind)) for kind in ("invitation", "confirmation")}
        raise BenchmarkFailed(f"{error}: the SMTP server accepted {counts} of {signups} each") from None


def _wait_for_idle(context: Context, redis: Redis) -> None:
    """Nothing left queued or running, so a second copy of any email would have arrived by now."""
    queue = Queue(QUEUE, connection=redis)
    wait_for(lambda: queue.count == 0 and StartedJobRegistry(queue=queue).count == 0, timeout=60,
             what="the queue to be empty")
    time.sleep(1)


def _check_exactly_once(context: Context, database_url: str, signups: int) -> None:
    invitations = context.smtp.of_kind("invitation")
    confirmations = context.smtp.of_kind("confirmation")
    invited_people = {to for _moment, to, _key in invitations}
    figures = {
        "invitations accepted by SMTP": len(invitations),
        "people invited": len(invited_people),
        "distinct invitation emails": len({key for _moment, _to, key in invitations}),
        "confirmations accepted by SMTP": len(confirmations),
        "requests invited": query_one(database_url, "SELECT count(*) FROM signup_requests WHERE state = 'invited'"),
        "requests holding a seat": query_one(database_url, "SELECT count(*) FROM signup_requests WHERE holds_seat"),
        "seats taken": query_one(database_url, "SELECT coalesce(sum(seats_taken), 0) FROM seat_pools"),
        "emails sent": query_one(database_url, "SELECT count(*) FROM outbound_emails WHERE status = 'sent'") / 2,
    }
    wrong = {name: value for name, value in figures.items() if value != signups}
    if wrong or len(context.smtp.receipts) != 2 * signups:
        kinds = query_one(database_url, "SELECT string_agg(kind || ' ' || status || ': ' || n, ', ') FROM "
                          "(SELECT kind, status, count(*) AS n FROM outbound_emails GROUP BY kind, status) AS k")
        raise BenchmarkFailed(f"not exactly once for {signups} sign-ups: {wrong}, "
                              f"{len(context.smtp.receipts)} emails in all (outbox: {kinds})")


# --- Benchmarks -----------------------------------------------------------------------------

BURST_ROWS = [
    "activation burst: 1 web, 2 workers, PostgreSQL",
    "the same burst against RQ's forking worker",
    "worker memory (PSS of its process tree) over the burst",
    "scale out: 2 web, 4 workers, one PostgreSQL and Redis",
]


def burst(context: Context, record) -> None:
    jobs = context.sizes.burst
    simple, simple_memory = noop_jobs(context, SIMPLE_WORKER, 2, jobs)
    forking, _memory = noop_jobs(context, FORKING_WORKER, 2, jobs)
    two = activation_burst(context, web_servers=1, workers=2)
    share = ratio(two.invitation_rate, simple)
    record(Row(BURST_ROWS[0], two.summary(), f"SimpleWorker no-op ×2: {simple:,.0f} jobs/s", share,
               "≥ 0.6×; each invitation once; seats exact", share >= 0.6))
    record(Row(BURST_ROWS[1], f"{two.invitation_rate:,.1f} invitations/s",
               f"forking worker no-op ×2: {forking:,.0f} jobs/s", ratio(two.invitation_rate, forking), "(reference)"))
    record(Row(f"{BURST_ROWS[2]} (~{two.jobs_per_worker:,} jobs each)", two.memory.summary(),
               f"SimpleWorker no-op: {simple_memory.summary()}", None, "< +10 %",
               two.memory.growth < MEMORY_GROWTH_LIMIT))
    four = activation_burst(context, web_servers=2, workers=4)
    rise = ratio(four.invitation_rate, two.invitation_rate)
    record(Row(BURST_ROWS[3], four.summary(), f"1 web, 2 workers: {two.invitation_rate:,.1f} invitations/s", rise,
               "> 1× (rises); once; seats exact", rise > 1))


def steady(context: Context, record) -> None:
    sizes = context.sizes
    smtp = context.smtp
    with postgres_schema(context.postgres_url) as database_url, empty_redis(context.jobs_redis_url) as redis:
        smtp.reset()
        environment = portal_environment(database_url, context.jobs_redis_url, smtp.port)
        migrate_portal(environment, context.log("migrate"))
        worker_command = [str(BIN / "flask"), "--app", "wsgi", "worker"]
        with started(lambda: WebServer("wsgi:app", environment, context.log("gunicorn-portal")),
                     *[lambda: Process(worker_command, environment, context.log("worker")) for _ in range(2)]) as [
                         server, *workers]:
            wait_for(lambda: Worker.count(connection=redis) >= 2, timeout=60, what="2 workers")
            form = fetch_form(server.url + "/en/signup", SIGNUP_ANSWERS)
            submitted = paced_signups(server.url + "/en/signup", form, rate=sizes.steady_rate,
                                      seconds=sizes.steady_seconds, prefix=f"steady{uuid.uuid4().hex[:6]}")
            _wait_for_emails(context, workers, len(submitted))
    accepted = {to: moment for moment, to, _key in smtp.of_kind("invitation")}
    waits = sorted(accepted[email] - moment for email, moment in submitted.items())
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    record(Row(f"steady {sizes.steady_rate} sign-ups/s for {sizes.steady_seconds} s: submit → invitation accepted",
               f"p99 {p99:.2f} s (median {statistics.median(waits):.2f} s)", "—", None, "p99 < 5 s", p99 < 5))


def profile_burst(context: Context, _record) -> None:
    """A tenth of the burst again with py-spy on one worker (`--profile`): not in the figures above,
    since sampling every forked work horse slows the worker it watches."""
    size = max(4 * WRK_THREADS, context.sizes.burst // 10)
    activation_burst(context, web_servers=1, workers=2, profile_worker=True, size=size)


BENCHMARKS = [
    Benchmark("burst", BURST_ROWS, burst),
    Benchmark("steady", ["steady sign-ups: submit → invitation accepted"], steady),
]
PROFILE = Benchmark("profile", [], profile_burst)
