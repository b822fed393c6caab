"""`make bench` must keep working: the whole harness with tiny sizes, end to end, over real
gunicorn, wrk, Redis, PostgreSQL, SQLite and SMTP. It checks that every benchmark produced a figure
(and the burst its exactly-once checks), never how fast anything was."""

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.report import Row, render
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]

SQLITE_ROWS = ["sign-up POST, SQLite"]
POSTGRES_ROWS = [
    "sign-up POST, PostgreSQL",
    "web process RSS under sign-up load",
    "GET /en/signup", "GET /es/signup", "GET /en/", "GET /en/status",
    "provider export, 300 rows", "provider export peak memory",
    "demo-data 3,000",
    "staff home: queue counts, counts by state (3,000 requests)",
    "staff queue needs-review, first page (3,000 requests)",
    "staff search: exact code (opens the request) (3,000 requests)",
    "staff search: name with accents (3,000 requests)",
    "staff search: phone written another way (3,000 requests)",
    "staff request page (a failed one) (3,000 requests)",
    "activation burst: 1 web, 2 workers", "the same burst against RQ's forking worker", "worker memory",
    "scale out: 2 web, 4 workers",
    "steady 5 sign-ups/s for 2 s",
]
FIGURE = re.compile(r"\d")


def table_rows(table: str) -> dict[str, list[str]]:
    rows = {}
    for line in table.splitlines()[2:]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_every_benchmark_runs_end_to_end_with_tiny_sizes(private_redis_url, tmp_path):
    redis = private_redis_url.rsplit("/", 1)[0]
    # BENCH_REDIS_URL and BENCH_JOBS_REDIS_URL, when set, say which databases this run may empty.
    environment = {**os.environ, "BENCH_REDIS_URL": os.environ.get("BENCH_REDIS_URL") or f"{redis}/12",
                   "BENCH_JOBS_REDIS_URL": os.environ.get("BENCH_JOBS_REDIS_URL") or f"{redis}/13",
                   "BENCH_POSTGRES_URL": POSTGRES_URL}
    only = [] if POSTGRES_URL else ["--only", "signup-sqlite"]  # `make test TEST_POSTGRES_URL=`: SQLite alone
    finished = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--log-dir", str(tmp_path), *only],
                              cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900)

    assert finished.returncode == 0, finished.stdout[-5000:] + finished.stderr[-3000:]
    rows = table_rows((tmp_path / "table.md").read_text())
    expected = SQLITE_ROWS + (POSTGRES_ROWS if POSTGRES_URL else [])
    for name in expected:
        matches = [cells for what, cells in rows.items() if what == name or what[len(name):][:1] in (" ", ",", ":")
                   and what.startswith(name)]
        assert len(matches) == 1, f"not one row {name!r} in:\n{finished.stdout[-5000:]}"
        portal, baseline, ratio = matches[0][:3]
        assert "FAILED" not in portal and FIGURE.search(portal), (name, matches[0])
    assert "Raised for the benchmarks" in finished.stdout  # the protections it raised are printed
    if POSTGRES_URL:
        staff_rows = {what: cells for what, cells in rows.items() if what.startswith("staff ")}
        assert len(staff_rows) >= 20 and all("p95" in cells[0] or cells[0].startswith("not measured")
                                             for cells in staff_rows.values()), staff_rows
        assert any("by cursor" in what for what in staff_rows)
        assert "The slowest pages' slowest queries" in finished.stdout
        assert "Execution Time" in next(tmp_path.glob("staff-query-plans.txt")).read_text()


def test_a_failed_benchmark_shows_why_and_no_figure():
    table = render([
        Row("sign-up POST, SQLite", "350 req/s, p99 40 ms", "bare: 380 req/s", 350 / 380, "≥ 0.9×", True),
        Row("activation burst", failed="timed out after 60 s waiting for every email"),
        Row("scale out", failed="timed out after 60 s waiting for every email"),
    ])

    rows = table_rows(table)
    assert rows["sign-up POST, SQLite"][2:] == ["0.92×", "≥ 0.9×", "yes"]
    assert rows["activation burst"][:3] == ["FAILED [1]", "—", "—"]
    assert rows["scale out"][0] == "FAILED [1]"  # one reason, one note
    assert table.splitlines()[-1] == "[1] failed: timed out after 60 s waiting for every email"
