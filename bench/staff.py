"""The staff side: the provider's export, `demo-data`, and the staff pages at 1,000,000 requests."""

import html
import http.client
import json
import math
import re
import secrets
import statistics
import time
import unicodedata
import urllib.parse
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import sqlalchemy

from bench.context import Context
from bench.load import fetch_form
from bench.report import Benchmark, Row, ratio
from bench.services import (
    BIN,
    BenchmarkFailed,
    WebServer,
    empty_redis,
    megabytes,
    migrate_portal,
    postgres_schema,
    query_one,
    run_logged,
    started,
    timed_process,
)
from bench.settings import baseline_environment, portal_environment

EXPORT_SECONDS_LIMIT = 5
MEMORY_GROWTH_LIMIT = 1.10  # "does not grow with the row count": at most 10 % more for ten times the rows
DEMO_TARGET_ROWS = 1_000_000
DEMO_TARGET_SECONDS = 300
PROGRAM_ZONE = ZoneInfo("America/New_York")  # the ny program's, as the portal runs it here


def _invited_learners(database_url: str, day: date, first: int, count: int) -> None:
    """`count` learners invited on the program-local `day`, inserted in one statement (PostgreSQL)."""
    noon = datetime.combine(day, clock_time(12), PROGRAM_ZONE).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    engine = sqlalchemy.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("""
            INSERT INTO signup_requests (reference_code, program, state, first_name, last_name, email, email_key,
                zip_code, preferred_language, employment_status, covid_related, layoff_notice, agency_staff,
                attested_at, decision_reason, created_at, updated_at, invited_at, enroll_by, holds_seat)
            SELECT 'B' || lpad(n::text, 8, '0'), 'ny', 'invited', 'First' || n, 'Last' || n,
                'learner.' || n || '@example.com', 'learner.' || n || '@example.com', '12207',
                CASE WHEN n % 3 = 0 THEN 'es' ELSE 'en' END, 'laid_off',
                'no', false, false, :noon, 'out_of_work', :noon, :noon,
                :noon + (n % 7200) * interval '1 second', :enroll_by, true
            FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n
        """), {"noon": noon, "enroll_by": day + timedelta(days=30), "first": first, "last": first + count - 1})
    engine.dispose()


def export(context: Context, record) -> None:
    rows = context.sizes.export_rows
    small = max(1, rows // 10)
    big_day, small_day = date.today() - timedelta(days=2), date.today() - timedelta(days=3)
    with postgres_schema(context.postgres_url) as database_url:
        environment = portal_environment(database_url, context.jobs_redis_url, context.smtp.port)
        environment["EXPORT_DIR"] = str(context.log_dir / "exports")
        migrate_portal(environment, context.log("migrate"))
        _invited_learners(database_url, big_day, 1, rows)
        _invited_learners(database_url, small_day, rows + 1, small)
        portal, bare = {}, {}
        for day in (small_day, big_day):
            portal[day] = timed_process([str(BIN / "flask"), "--app", "wsgi", "export-provider", "--date",
                                         day.isoformat()], environment, context.log("export-provider"))
            start = datetime.combine(day, clock_time(0), PROGRAM_ZONE).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
            bare[day] = timed_process(
                [str(BIN / "python"), "-m", "bench.baselines.export_rows", start.isoformat(),
                 (start + timedelta(days=1)).isoformat(), str(context.log_dir / "bare-export.csv")],
                {**environment}, context.log("bare-export"))
        exported = query_one(database_url, "SELECT max(row_count) FROM export_files")
    if exported != rows:
        raise BenchmarkFailed(f"the provider file has {exported} rows, not {rows}")
    seconds, _peak = portal[big_day]
    record(Row(f"provider export, {rows:,} rows (flask export-provider)", f"{seconds:.1f} s",
               f"SQLAlchemy Core rows streamed to CSV: {bare[big_day][0]:.1f} s", ratio(seconds, bare[big_day][0]),
               f"< {EXPORT_SECONDS_LIMIT} s", seconds < EXPORT_SECONDS_LIMIT))
    growth = portal[big_day][1] / portal[small_day][1]
    record(Row(f"provider export peak memory, {small:,} → {rows:,} rows",
               f"{megabytes(portal[small_day][1])} → {megabytes(portal[big_day][1])} (×{growth:.2f})",
               f"streamed: {megabytes(bare[small_day][1])} → {megabytes(bare[big_day][1])} "
               f"(×{bare[big_day][1] / bare[small_day][1]:.2f})", None, f"does not grow (≤ ×{MEMORY_GROWTH_LIMIT})",
               growth <= MEMORY_GROWTH_LIMIT))


def _load_demo_data(context: Context, database_url: str, environment: dict, rows: int, record) -> None:
    """`flask demo-data N` into the benchmark's schema (the staff pages then read it), timed, against
    the bare Core insert of as many narrower rows; the figure is projected when N is under 1,000,000."""
    seconds, _peak = timed_process([str(BIN / "flask"), "--app", "wsgi", "demo-data", str(rows), "--seed", "1"],
                                   environment, context.log("demo-data"))
    bare_seconds, _peak = timed_process([str(BIN / "python"), "-m", "bench.baselines.bulk_insert", str(rows)],
                                        environment, context.log("bare-insert"))
    added = query_one(database_url, "SELECT count(*) FROM signup_requests")
    if added != rows:
        raise BenchmarkFailed(f"demo-data {rows} added {added} requests")
    projected = seconds * DEMO_TARGET_ROWS / rows
    measured = f"{seconds:.0f} s" if rows >= DEMO_TARGET_ROWS else (
        f"{seconds:.1f} s; {DEMO_TARGET_ROWS:,} in ~{projected:.0f} s")
    record(Row(f"demo-data {rows:,}" + ("" if rows >= DEMO_TARGET_ROWS else f" (projected to {DEMO_TARGET_ROWS:,})"),
               f"{rows / seconds:,.0f} requests/s ({measured}), with history and emails",
               f"Core insert, 500 a commit: {rows / bare_seconds:,.0f} rows/s", ratio(bare_seconds, seconds),
               f"{DEMO_TARGET_ROWS:,} < {DEMO_TARGET_SECONDS // 60} min", projected < DEMO_TARGET_SECONDS))


# --- Staff pages ------------------------------------------------------------------------------

STAFF_EMAIL = "bench.desk@agency.example.gov"
STAFF_PASSWORD = "bench staff passphrase " + secrets.token_hex(8)
STAFF_P95_LIMIT_MS = 50
DEEP_PAGE = 10  # "next page" followed this many times: a cursor deep in the queue
_NEXT_LINK = re.compile(r'href="([^"]*[?&]amp;after=[^"]*|[^"]*[?&]after=[^"]*)"')


def _sign_in(base_url: str) -> str:
    """Sign in as a real browser does (the form, its CSRF token, a POST); the session cookie."""
    form = fetch_form(base_url + "/admin/login", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    status, headers, _body = _get(base_url, "/admin/login", form.cookie, method="POST",
                                  body=form.body.replace("&email={email}", ""))
    cookie = "; ".join(value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie")
    if status != 302 or not cookie:
        raise BenchmarkFailed(f"staff sign-in answered {status}, not a redirect with a session cookie")
    return cookie


def _get(base_url: str, path: str, cookie: str, method: str = "GET", body: str | None = None):
    target = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        connection.close()


@dataclass
class Latency:
    p50_ms: float
    p95_ms: float

    def summary(self) -> str:
        return f"p95 {self.p95_ms:.1f} ms (p50 {self.p50_ms:.1f})"


def _latency(base_url: str, path: str, cookie: str, samples: int, expected: int = 200) -> Latency:
    """One staff member at a time: `samples` requests one after another (after 3 not counted), each
    timed from the request sent to the last byte of the answer."""
    times = []
    for number in range(samples + 3):
        began = time.perf_counter()
        status, _headers, body = _get(base_url, path, cookie)
        elapsed = (time.perf_counter() - began) * 1000
        if status != expected:
            raise BenchmarkFailed(f"GET {path} answered {status}, not {expected}: {body[:200]!r}")
        if number >= 3:
            times.append(elapsed)
    times.sort()
    return Latency(statistics.median(times), times[min(len(times) - 1, math.ceil(len(times) * 0.95) - 1)])


def _deep_page(base_url: str, path: str, cookie: str) -> tuple[int, str] | None:
    """A page deep in a list by its cursor: its number and URL, following "next page" links up to
    page DEEP_PAGE + 1 (fewer in a short list); None for a list of one page."""
    page = 1
    for _page in range(DEEP_PAGE):
        _status, _headers, body = _get(base_url, path, cookie)
        links = _NEXT_LINK.findall(body)
        if not links:
            break
        path, page = html.unescape(links[-1]), page + 1
    return (page, path) if page > 1 else None


def _search_terms(database_url: str) -> list[tuple[str, str]]:
    """What callers read out, taken from requests in the database: (which key, what staff type)."""
    def one(sql: str):
        value = query_one(database_url, sql)
        if value is None:
            raise BenchmarkFailed(f"no request for a search term: {sql}")
        return value

    code = one("SELECT reference_code FROM signup_requests WHERE reference_code LIKE '%0%' ORDER BY id LIMIT 1")
    email = one("SELECT email FROM signup_requests WHERE state = 'failed' ORDER BY id DESC LIMIT 1")
    local = email.split("@")[0]
    accented = one("SELECT first_name || ' ' || last_name FROM signup_requests WHERE preferred_language = 'es' "
                   "AND (first_name || last_name) ~ '[áéíóúñ]' ORDER BY id DESC LIMIT 1")
    plain = "".join(character for character in unicodedata.normalize("NFKD", accented)
                    if not unicodedata.combining(character)).upper()
    common_last = one("SELECT last_name FROM signup_requests WHERE last_name NOT LIKE '% %' GROUP BY last_name "
                      "ORDER BY count(*) DESC LIMIT 1")
    phone = one("SELECT phone FROM signup_requests WHERE phone IS NOT NULL ORDER BY id DESC LIMIT 1")
    case_id = one("SELECT case_id FROM signup_requests WHERE case_id LIKE 'NY%' ORDER BY id DESC LIMIT 1")
    return [
        ("exact code (opens the request)", code),
        ("code read out: lower case, a space, O for 0 (opens it)", code.lower().replace("-", " ").replace("0", "o")),
        ("email fragment", local[2:12]),
        ("name with accents", accented),
        ("name without accents, capitals", plain),
        ("the most common last name alone", common_last.lower()),
        ("phone written another way", f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"),
        ("case id in lower case", case_id.lower()),
        ("nothing matches", "zzqx nobody"),
    ]


def staff_pages(context: Context, record) -> None:
    """Every work queue (first page, and a page deep in it by its cursor), each search key, the home
    page with its counts, a request page and the dashboard, at STAFF_REQUESTS requests of demo-data,
    over HTTP as a signed-in administrator (sees every area), one request at a time; p95 < 50 ms."""
    from portal.admin.queries import WORK_QUEUES

    rows = context.sizes.staff_requests
    samples = context.sizes.staff_samples
    with postgres_schema(context.postgres_url) as database_url, empty_redis(context.web_redis_url):
        environment = portal_environment(database_url, context.web_redis_url, context.smtp.port)
        migrate_portal(environment, context.log("migrate"))
        _load_demo_data(context, database_url, environment, rows, record)
        run_logged([str(BIN / "flask"), "--app", "wsgi", "create-staff", STAFF_EMAIL, "--role", "admin"],
                   {**environment, "STAFF_PASSWORD": STAFF_PASSWORD}, context.log("create-staff"))
        run_logged([str(BIN / "python"), "-c", "import sqlalchemy, os; e = sqlalchemy.create_engine("
                    "os.environ['DATABASE_URL']); c = e.connect().execution_options(isolation_level='AUTOCOMMIT'); "
                    "c.exec_driver_sql('VACUUM ANALYZE')"], {**environment, "DATABASE_URL": database_url},
                   context.log("vacuum"))
        with started(lambda: WebServer("bench.baselines.hello:app", baseline_environment("", ""),
                                       context.log("gunicorn-hello")),
                     lambda: WebServer("wsgi:app", environment, context.log("gunicorn-portal"))) as [hello, portal]:
            bare = _latency(hello.url, "/", "", samples)
            cookie = _sign_in(portal.url)
            pages: list[tuple[str, str, int]] = [("home: queue counts, counts by state", "/admin/", 200)]
            for slug in WORK_QUEUES:
                first = f"/admin/queues/{slug}"
                pages.append((f"queue {slug}, first page", first, 200))
                deep = _deep_page(portal.url, first, cookie)
                if deep:
                    pages.append((f"queue {slug}, page {deep[0]} by cursor", deep[1], 200))
            for what, term in _search_terms(database_url):
                expected = 302 if what.startswith(("exact code", "code read out")) else 200
                pages.append((f"search: {what}", "/admin/requests?" + urllib.parse.urlencode({"q": term}), expected))
            code = query_one(database_url, "SELECT reference_code FROM signup_requests WHERE state = 'failed' "
                             "ORDER BY id LIMIT 1")
            pages.append(("request page (a failed one)", f"/admin/requests/{code}", 200))
            dashboard_status, _headers, _body = _get(portal.url, "/admin/dashboard", cookie)
            if dashboard_status == 404:
                context.notes.append("staff pages: /admin/dashboard answers 404 in this checkout (the dashboard is "
                                     "another branch's work); not measured.")
            else:
                pages.append(("dashboard", "/admin/dashboard", 200))
            measured, staff_rows = [], []
            for what, path, expected in pages:
                latency = _latency(portal.url, path, cookie, samples, expected)
                measured.append((latency.p95_ms, what, path))
                staff_rows.append(Row(f"staff {what} ({rows:,} requests)", latency.summary(),
                           f"bare route: {bare.summary()}", None, f"p95 < {STAFF_P95_LIMIT_MS} ms",
                           latency.p95_ms < STAFF_P95_LIMIT_MS))
            if dashboard_status == 404:
                staff_rows.append(Row("staff dashboard", target=f"p95 < {STAFF_P95_LIMIT_MS} ms",
                                      pending="no /admin/dashboard route in this checkout"))
            for row in staff_rows:  # all or none: a page that fails marks the staff pages failed
                record(row)
            _explain_slowest(context, environment, cookie, sorted(measured, reverse=True)[:3])


def _explain_slowest(context: Context, environment: dict, cookie: str, slowest: list[tuple[float, str, str]]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of each of the three slowest pages, into
    the log folder; a short note under the table."""
    output = context.log_dir / "staff-query-plans.json"
    run_logged([str(BIN / "python"), "-m", "bench.staff_plans", cookie, str(output),
                *[path for _p95, _what, path in slowest]], environment, context.log("staff-plans"))
    queries = json.loads(output.read_text())
    lines = ["The slowest pages' slowest queries (EXPLAIN ANALYZE, BUFFERS; full plans in "
             f"{context.log_dir / 'staff-query-plans.txt'}):"]
    text = []
    for p95, what, path in slowest:
        page_queries = [query for query in queries if query["url"] == path]
        if not page_queries:
            continue
        query = page_queries[0]
        first_node = query["plan"].splitlines()[0].strip()
        timing = next((line.strip() for line in query["plan"].splitlines() if line.startswith("Execution Time")), "")
        lines.append(f"  {what} (page p95 {p95:.1f} ms): {query['ms']:.1f} ms, {first_node[:110]}; {timing}")
        text.append(f"== {what}: {path} (page p95 {p95:.1f} ms)\n{query['sql']}\n{query['parameters']}\n\n"
                    f"{query['plan']}\n")
    (context.log_dir / "staff-query-plans.txt").write_text("\n".join(text))
    context.notes.append("\n".join(lines))


BENCHMARKS = [
    Benchmark("export", ["provider export", "provider export peak memory"], export),
    # demo-data loads the staff pages' requests: one benchmark, so a million rows are written once.
    Benchmark("staff-pages", ["demo-data", "staff pages"], staff_pages),
]
