"""The web benchmarks: the sign-up POST against a bare insert+enqueue app, pages against a bare
route, and a web process's memory under the sign-up load."""

import uuid

from bench.context import Context
from bench.load import SIGNUP_ANSWERS, fetch_form, unsigned_form, wrk
from bench.report import Benchmark, Row, ratio
from bench.services import (
    BIN,
    BenchmarkFailed,
    MemorySampler,
    WebServer,
    empty_redis,
    megabytes,
    migrate_portal,
    postgres_schema,
    query_one,
    rss_bytes,
    run_logged,
    sqlite_database,
    started,
)
from bench.settings import baseline_environment, portal_environment

PAGES = ("/en/signup", "/es/signup", "/en/", "/en/status")
SIGNUP_TARGET = "≥ 0.9×, p99 < 50 ms"
WEB_MEMORY_LIMIT = 80 * 1024 * 1024


def measure(context: Context, url: str, what: str, **options):
    """wrk against one URL: a warm-up run first (not counted), then the measured one."""
    sizes = context.sizes
    if sizes.warmup_seconds:
        wrk(url, seconds=sizes.warmup_seconds, connections=sizes.connections, log=context.log("wrk"),
            prefix=f"warm{uuid.uuid4().hex[:6]}", **options).check(f"{what} (warm-up)")
    return wrk(url, seconds=sizes.seconds, connections=sizes.connections, log=context.log("wrk"),
               prefix=f"run{uuid.uuid4().hex[:6]}", **options).check(what)


def largest_worker_rss(server: WebServer) -> int:
    return max((rss_bytes(pid) for pid in server.worker_pids()), default=0)


def pages(context: Context, record) -> None:
    """Each page right after the bare route, both servers up, so a change in the machine's load
    between the two measurements of a pair stays small."""
    with postgres_schema(context.postgres_url) as database_url, empty_redis(context.web_redis_url):
        environment = portal_environment(database_url, context.web_redis_url, context.smtp.port)
        migrate_portal(environment, context.log("migrate"))
        hello_environment = baseline_environment("", "")
        with started(lambda: WebServer("bench.baselines.hello:app", hello_environment, context.log("gunicorn-hello")),
                     lambda: WebServer("wsgi:app", environment, context.log("gunicorn-portal"))) as [hello, portal]:
            for page in PAGES:
                bare = measure(context, hello.url + "/", "bare Flask route")
                result = measure(context, portal.url + page, f"GET {page}")
                share = ratio(result.rate, bare.rate)
                record(Row(f"GET {page}", result.summary(), f"bare route: {bare.summary()}", share, "≥ 0.5×",
                           share >= 0.5))


def signup_post(backend: str):
    def run(context: Context, record) -> None:
        opened = (postgres_schema(context.postgres_url) if backend == "PostgreSQL"
                  else sqlite_database(context.log_dir))
        with opened as database_url, empty_redis(context.web_redis_url):
            bare, bare_memory = _bare_signups(context, database_url)
            portal, portal_memory = _portal_signups(context, database_url)
            share = ratio(portal.rate, bare.rate)
            record(Row(f"sign-up POST, {backend}", portal.summary(), f"bare insert+enqueue: {bare.summary()}",
                       share, SIGNUP_TARGET, share >= 0.9 and portal.p99_ms < 50))
            if backend == "PostgreSQL":
                record(Row("web process RSS under sign-up load (largest gunicorn worker)", megabytes(portal_memory),
                           f"bare insert+enqueue: {megabytes(bare_memory)}", ratio(portal_memory, bare_memory),
                           "< 80 MB", portal_memory < WEB_MEMORY_LIMIT))
    return run


def _bare_signups(context: Context, database_url: str):
    environment = baseline_environment(database_url, context.web_redis_url)
    run_logged([str(BIN / "python"), "-m", "bench.baselines.insert_enqueue"], environment, context.log("bare-tables"))
    factory = lambda: WebServer("bench.baselines.insert_enqueue:app", environment,  # noqa: E731
                                context.log("gunicorn-insert-enqueue"))
    with started(factory) as [server]:
        form = unsigned_form(SIGNUP_ANSWERS)
        with MemorySampler(lambda: largest_worker_rss(server)) as memory:
            result = measure(context, server.url + "/signup", "bare insert+enqueue POST", method="POST",
                             expected=302, form=form)
    rows = query_one(database_url, "SELECT count(*) FROM baseline_signups")
    if rows < result.ok:
        raise BenchmarkFailed(f"the bare app answered {result.ok} POSTs but saved {rows} rows")
    return result, memory.peak()


def _portal_signups(context: Context, database_url: str):
    environment = portal_environment(database_url, context.web_redis_url, context.smtp.port)
    migrate_portal(environment, context.log("migrate"))
    with started(lambda: WebServer("wsgi:app", environment, context.log("gunicorn-portal"))) as [server]:
        form = fetch_form(server.url + "/en/signup", SIGNUP_ANSWERS)
        with MemorySampler(lambda: largest_worker_rss(server)) as memory:
            result = measure(context, server.url + "/en/signup", "portal sign-up POST", method="POST",
                             expected=302, form=form)
    approved = query_one(database_url, "SELECT count(*) FROM signup_requests WHERE state = 'approved'")
    if approved < result.ok:
        states = query_one(database_url, "SELECT string_agg(DISTINCT state, ', ') FROM signup_requests"
                           if "postgresql" in database_url else
                           "SELECT group_concat(DISTINCT state) FROM signup_requests")
        raise BenchmarkFailed(f"{result.ok} sign-ups answered 302 but only {approved} approved (states: {states}); "
                              "a protection may need raising in bench/settings.py")
    return result, memory.peak()


BENCHMARKS = [
    Benchmark("signup-sqlite", ["sign-up POST, SQLite"], signup_post("SQLite")),
    Benchmark("signup-postgresql", ["sign-up POST, PostgreSQL",
                                    "web process RSS under sign-up load (largest gunicorn worker)"],
              signup_post("PostgreSQL")),
    Benchmark("pages", [f"GET {page}" for page in PAGES], pages),
]
