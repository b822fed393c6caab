"""Lighthouse (mobile: a mid-range phone on a slow 4G line, simulated) on the main public pages,
served as in production by gunicorn, with Debian's chromium and Lighthouse from npm.

Prints each page's scores and timings beside the issue's targets (performance ≥ 95, accessibility
and best practices 100). Slow (about 20 s a page), so not part of `make test`; run it with
`make lighthouse`, or:

    .venv/bin/python bench/lighthouse.py [PATH ...]      # default: /es/signup /en/ /es/status

Uses a throwaway SQLite database; the pages it loads need no Redis.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/es/signup", "/en/", "/es/status"]
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100}
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                "--disable-background-networking --disable-component-update --disable-sync")
TIMINGS = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(scratch: str) -> dict:
    """Production settings (PORTAL_ENV unset), which refuse to start without these; no mail is sent."""
    return {**os.environ, "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3", "ALLOW_SQLITE_IN_PRODUCTION": "1",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "SECRET_KEY": secrets.token_urlsafe(48), "MAIL_SERVER": "127.0.0.1",
            "PUBLIC_BASE_URL": "https://lighthouse.test"}


def start_gunicorn(environment: dict, port: int) -> subprocess.Popen:
    binaries = Path(sys.executable).parent
    subprocess.run([binaries / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=environment, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen([binaries / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not answer within 30 s")


def lighthouse(url: str, report: Path) -> dict:
    subprocess.run(
        ["npx", "--no-install", "lighthouse", url, "--quiet", "--output=json", f"--output-path={report}",
         f"--chrome-flags={CHROME_FLAGS}"],
        cwd=ROOT, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, check=True, timeout=300,
    )
    return json.loads(report.read_text())


def main() -> None:
    pages = sys.argv[1:] or PAGES
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        server = start_gunicorn(server_environment(scratch), port)
        try:
            print(f"{'page':<12} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}   {'FCP':>6} {'LCP':>6} "
                  f"{'TBT':>6} {'CLS':>5} {'bytes':>8} requests")
            for page in pages:
                result = lighthouse(f"http://127.0.0.1:{port}{page}", Path(scratch) / "report.json")
                scores = {name: round(category["score"] * 100) for name, category in result["categories"].items()}
                audits = result["audits"]
                timings = [audits[name]["numericValue"] for name in TIMINGS]
                requests = len(audits["network-requests"]["details"]["items"])
                print(f"{page:<12} {scores['performance']:>5} {scores['accessibility']:>5} "
                      f"{scores['best-practices']:>5} {scores['seo']:>5}   {timings[0]:>4.0f}ms {timings[1]:>4.0f}ms "
                      f"{timings[2]:>4.0f}ms {timings[3]:>5.3f} {audits['total-byte-weight']['numericValue']:>8.0f} "
                      f"{requests}")
                short = [f"{name} {scores[name]} < {target}"
                         for name, target in TARGETS.items() if scores[name] < target]
                failed = [name for name, audit in audits.items()
                          if audit.get("score") is not None and audit["score"] < 1
                          and audit["scoreDisplayMode"] in ("binary", "numeric", "metricSavings")]
                if short:
                    print(f"{'':<12} below target: {', '.join(short)}; audits short of full marks: {', '.join(failed)}")
            print("targets: " + ", ".join(f"{name} ≥ {target}" for name, target in TARGETS.items()))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
