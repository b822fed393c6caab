"""Load on the web: wrk (bench/lua/load.lua) for throughput and bursts, a paced client for a steady rate."""

import http.client
import json
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from bench.services import BenchmarkFailed
from bench.settings import WRK_THREADS

SCRIPT = Path(__file__).resolve().parent / "lua" / "load.lua"

#: A sign-up the New York rules approve; the email is filled in per request.
SIGNUP_ANSWERS = {
    "first_name": "Bench",
    "last_name": "Mark",
    "zip_code": "12207",
    "preferred_language": "en",
    "employment_status": "laid_off",
    "layoff_notice": "no",
    "covid_related": "no",
    "agency_staff": "no",
    "attestation": "y",
}


@dataclass(frozen=True)
class WrkResult:
    seconds: float
    requests: int
    ok: int  # answered with the expected status
    unexpected: int
    first_unexpected: str
    p50_ms: float
    p99_ms: float
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return f"{self.rate:,.0f} req/s, p99 {self.p99_ms:.0f} ms"

    def check(self, what: str) -> "WrkResult":
        if self.unexpected or not self.ok:
            raise BenchmarkFailed(f"{what}: {self.ok} expected answers, {self.unexpected} others "
                                  f"(first: {self.first_unexpected[:160]!r}); socket errors {self.socket_errors}")
        return self


@dataclass(frozen=True)
class FilledForm:
    """A form as a browser has it: the session cookie and the hidden fields (the CSRF token, and
    whatever else the form carries), plus the answers; the email is left as "{email}"."""

    cookie: str
    body: str


def fetch_form(url: str, answers: dict[str, str]) -> FilledForm:
    with urllib.request.urlopen(url, timeout=10) as response:
        cookies = [header.split(";", 1)[0] for header in response.headers.get_all("Set-Cookie") or []]
        page = response.read().decode()
    hidden = _HiddenFields()
    hidden.feed(page)
    return FilledForm("; ".join(cookies), _form_body({**hidden.values, **answers}))


def unsigned_form(answers: dict[str, str]) -> FilledForm:
    """The same answers without cookie or token, for the bare app (it has no form page)."""
    return FilledForm("", _form_body(answers))


def _form_body(fields: dict[str, str]) -> str:
    return urllib.parse.urlencode(fields) + "&email={email}"


class _HiddenFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""


def wrk(url: str, *, seconds: int, connections: int, log: Path, method: str = "GET", expected: int = 200,
        form: FilledForm | None = None, quota: int = 0, prefix: str = "bench") -> WrkResult:
    """Run wrk for `seconds` (or, with a quota, until each thread's POSTs are answered)."""
    with tempfile.TemporaryDirectory(prefix="wrk-") as signal_dir:
        arguments = [method, str(expected), str(quota), prefix, form.cookie if form else "",
                     form.body if form else "", signal_dir, str(WRK_THREADS)]
        command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                   "-s", str(SCRIPT), url, "--", *arguments]
        began = time.perf_counter()
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except FileNotFoundError:
            raise BenchmarkFailed("wrk is not installed (make bench installs it: apt-get install wrk)") from None
        quota_seconds = _stop_when_quota_answered(process, Path(signal_dir), began) if quota else None
        try:
            stdout, stderr = process.communicate(timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise BenchmarkFailed(f"wrk did not finish within {seconds + 120} s") from None
    with log.open("a") as output:
        output.write(f"$ {' '.join(command[:-8])} -- {method} …\n{stdout}{stderr}\n")
    match = re.search(r"^BENCH-JSON (.*)$", stdout, re.MULTILINE)
    if process.returncode != 0 or match is None:
        raise BenchmarkFailed(f"wrk failed ({process.returncode}): {stderr.strip()[-300:]}")
    data = json.loads(match.group(1))
    return WrkResult(
        seconds=quota_seconds or data["duration_us"] / 1e6, requests=data["requests"], ok=data["ok"],
        unexpected=data["unexpected"], first_unexpected=data["first_unexpected"], p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000, socket_errors=data["socket_errors"],
    )


def _stop_when_quota_answered(process: subprocess.Popen, signal_dir: Path, began: float) -> float:
    """wrk runs for its whole duration even when its threads have stopped: once every thread has
    its POSTs answered (a file each in `signal_dir`), SIGINT ends it (it then prints its summary).
    Returns the seconds from the start until the last POST was answered."""
    while process.poll() is None:
        if len(list(signal_dir.iterdir())) >= WRK_THREADS:
            answered = time.perf_counter() - began
            process.send_signal(signal.SIGINT)
            return answered
        time.sleep(0.02)
    return time.perf_counter() - began


def paced_signups(url: str, form: FilledForm, *, rate: int, seconds: int, prefix: str) -> dict[str, float]:
    """Post `rate` new sign-ups a second for `seconds`, each at its own moment (a few client threads,
    a connection per request, as phones would); returns when each was submitted, by email."""
    target = urllib.parse.urlsplit(url)
    total = rate * seconds
    submitted: dict[str, float] = {}
    failures: list[str] = []
    next_number = iter(range(total))
    lock = threading.Lock()
    start = time.time() + 0.2

    def client() -> None:
        while True:
            with lock:
                number = next(next_number, None)
            if number is None:
                return
            time.sleep(max(0.0, start + number / rate - time.time()))
            email = f"{prefix}.{number}@example.com"
            body = form.body.replace("{email}", urllib.parse.quote(email))
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                submitted[email] = time.time()
                connection.request("POST", target.path, body, {
                    "Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"})
                status = connection.getresponse().status
                if status != 302:
                    failures.append(f"{email}: {status}")
            except OSError as error:
                failures.append(f"{email}: {error}")
            finally:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(min(8, total))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise BenchmarkFailed(f"{len(failures)} of {total} paced sign-ups failed, e.g. {failures[0]}")
    return submitted
