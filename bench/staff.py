"""The staff side: the provider's export, `demo-data`, and (to come) the staff pages at scale."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy

from bench.context import Context
from bench.report import Benchmark, Row, ratio
from bench.services import (
    BIN,
    BenchmarkFailed,
    megabytes,
    migrate_portal,
    postgres_schema,
    query_one,
    timed_process,
)
from bench.settings import portal_environment

EXPORT_SECONDS_LIMIT = 5
MEMORY_GROWTH_LIMIT = 1.10  # "does not grow with the row count": at most 10 % more for ten times the rows
DEMO_TARGET_ROWS = 1_000_000
DEMO_TARGET_SECONDS = 300
PROGRAM_ZONE = ZoneInfo("America/New_York")  # the ny program's, as the portal runs it here


def _invited_learners(database_url: str, day: date, first: int, count: int) -> None:
    """`count` learners invited on the program-local `day`, inserted in one statement (PostgreSQL)."""
    noon = datetime.combine(day, time(12), PROGRAM_ZONE).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
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
            start = datetime.combine(day, time(0), PROGRAM_ZONE).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
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


def demo_data(context: Context, record) -> None:
    rows = context.sizes.demo_rows
    with postgres_schema(context.postgres_url) as database_url:
        environment = portal_environment(database_url, context.jobs_redis_url, context.smtp.port)
        migrate_portal(environment, context.log("migrate"))
        seconds, _peak = timed_process([str(BIN / "flask"), "--app", "wsgi", "demo-data", str(rows)], environment,
                                       context.log("demo-data"))
        bare_seconds, _peak = timed_process([str(BIN / "python"), "-m", "bench.baselines.bulk_insert", str(rows)],
                                            environment, context.log("bare-insert"))
        added = query_one(database_url, "SELECT count(*) FROM signup_requests")
    if added != rows:
        raise BenchmarkFailed(f"demo-data {rows} added {added} requests")
    projected = seconds * DEMO_TARGET_ROWS / rows
    record(Row(f"demo-data {rows:,} (projected to {DEMO_TARGET_ROWS:,})",
               f"{rows / seconds:,.0f} requests/s ({seconds:.1f} s; {DEMO_TARGET_ROWS:,} in ~{projected / 60:.0f} min)",
               f"Core insert, 500 a commit: {rows / bare_seconds:,.0f} rows/s", ratio(bare_seconds, seconds),
               f"{DEMO_TARGET_ROWS:,} < {DEMO_TARGET_SECONDS // 60} min", projected < DEMO_TARGET_SECONDS))


def staff_pages(_context: Context, record) -> None:
    """The help-desk work (issue 9) writes this one: queue pages, searches and the dashboard at
    1,000,000 requests (demo-data), p95 < 50 ms each, against a bare route."""
    record(Row("staff queue, search and dashboard at 1,000,000 requests", target="p95 < 50 ms",
               pending="written with the help-desk work (issue 9) in bench/staff.py"))


BENCHMARKS = [
    Benchmark("export", ["provider export", "provider export peak memory"], export),
    Benchmark("demo-data", ["demo-data"], demo_data),
    Benchmark("staff-pages", ["staff queue, search and dashboard at 1,000,000 requests"], staff_pages),
]
