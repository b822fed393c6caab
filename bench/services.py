"""What a benchmark runs against: databases, Redis, the SMTP server, and the processes it starts.

Everything it starts it stops, and every schema and Redis database it uses it empties, also when it
fails half-way (context managers).
"""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.parser import BytesHeaderParser
from pathlib import Path

import sqlalchemy
from aiosmtpd.controller import Controller
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.settings import GUNICORN_OPTIONS
from tests.processes import RedisServer, child_pids
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class BenchmarkFailed(Exception):
    """The benchmark could not produce an honest figure; the message says why."""


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise BenchmarkFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return result


# --- Databases ------------------------------------------------------------------------------

def psycopg_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A throwaway schema; yields a URL whose connections use it. Dropped afterwards."""
    if not base_url:
        raise BenchmarkFailed("needs PostgreSQL: BENCH_POSTGRES_URL is empty")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(psycopg_url(base_url), connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
        url = sqlalchemy.make_url(psycopg_url(base_url)).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    path = folder / f"bench-{uuid.uuid4().hex[:10]}.sqlite3"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def query_one(url: str, sql: str, **parameters):
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text(sql), parameters).scalar()
    finally:
        engine.dispose()


def migrate_portal(environment: dict, log: Path) -> None:
    """Build the schema as a deploy does: `flask --app wsgi db upgrade`."""
    run_logged([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], environment, log)


@contextmanager
def empty_redis(url: str) -> Iterator[Redis]:
    connection = Redis.from_url(url)
    connection.flushdb()
    try:
        yield connection
    finally:
        connection.flushdb()
        connection.close()


@contextmanager
def reachable_redis(web_url: str, jobs_url: str) -> Iterator[tuple[str, str]]:
    """The two Redis databases the benchmarks use; when that Redis does not answer (a fresh machine
    where nothing started it), a redis-server of our own for the run."""
    try:
        Redis.from_url(web_url, socket_connect_timeout=1).ping()
        yield web_url, jobs_url
        return
    except RedisConnectionError:
        pass
    server = RedisServer()
    server.start()
    print(f"No Redis at {web_url}: started one on port {server.port} for this run", flush=True)
    try:
        yield server.url(12), server.url(13)
    finally:
        server.stop()


# --- SMTP -----------------------------------------------------------------------------------

class SmtpReceiver:
    """A local SMTP server (aiosmtpd) that notes when it accepted each message, for whom, and which
    outbox email it was (the X-Portal-Email header). It keeps no bodies: a burst sends 20,000."""

    def __init__(self):
        self.receipts: list[tuple[float, str, str]] = []  # (time.time(), recipient, X-Portal-Email)
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._headers = BytesHeaderParser()

    async def handle_DATA(self, server, session, envelope):
        key = self._headers.parsebytes(envelope.content).get("X-Portal-Email", "")
        for recipient in envelope.rcpt_tos:
            self.receipts.append((time.time(), recipient, key))
        return "250 Message accepted"

    def __enter__(self) -> "SmtpReceiver":
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()

    def reset(self) -> None:
        self.receipts.clear()

    def of_kind(self, kind: str) -> list[tuple[float, str, str]]:
        return [receipt for receipt in list(self.receipts) if receipt[2].split("-", 1)[0] == kind]


# --- Processes ------------------------------------------------------------------------------

def run_logged(command: list[str], environment: dict, log: Path, timeout: float = 600) -> None:
    with log.open("a") as output:
        result = subprocess.run(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
                                timeout=timeout)
    if result.returncode != 0:
        raise BenchmarkFailed(f"{' '.join(command[:4])}… exited with {result.returncode}; see {log}")


def timed_process(command: list[str], environment: dict, log: Path, timeout: float = 3600) -> tuple[float, int]:
    """Run a command to its end; its wall time in seconds and its peak resident memory in bytes."""
    with log.open("a") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                process.wait()
                raise BenchmarkFailed(f"{' '.join(command[:4])}… still running after {timeout:.0f} s")
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise BenchmarkFailed(f"{' '.join(command[:4])}… exited with {process.returncode}; see {log}")
    return seconds, usage.ru_maxrss * 1024


class Process:
    """A long-running process in a session of its own, its output in a log file; stopping it stops
    every process below it (gunicorn's workers, RQ's work horses)."""

    def __init__(self, command: list[str], environment: dict, log: Path):
        self.command = command
        self.log = log
        with log.open("a") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def descendants(self) -> list[int]:
        found, frontier = [], [self.pid]
        while frontier:
            children = [child for parent in frontier for child in child_pids(parent)]
            found += children
            frontier = children
        return found

    def stop(self, grace: float = 30) -> None:
        """SIGTERM (gunicorn and RQ finish what they are doing), then SIGKILL whatever is left."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        for pid in [self.pid, *self.descendants()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait(timeout=10)

    def tail(self, characters: int = 1500) -> str:
        return self.log.read_text(errors="replace")[-characters:]


class WebServer(Process):
    """gunicorn with the benchmarks' settings, serving `app` (e.g. "wsgi:app") on a free port."""

    def __init__(self, app: str, environment: dict, log: Path, ready_path: str = "/healthz",
                 port: int | None = None):
        self.port = port or free_port()
        command = [str(BIN / "gunicorn"), *GUNICORN_OPTIONS, "--bind", f"127.0.0.1:{self.port}", app]
        super().__init__(command, environment, log)
        wait_for(lambda: self._answers(ready_path), timeout=60, what=f"gunicorn {app} on port {self.port}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self, path: str) -> bool:
        if not self.running():
            raise BenchmarkFailed(f"gunicorn {self.command[-1]} exited: {self.tail()}")
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def worker_pids(self) -> list[int]:
        return child_pids(self.pid)


@contextmanager
def started(*processes_or_factories) -> Iterator[list]:
    """Start processes (factories: zero-argument callables) and stop all of them on the way out."""
    running = []
    try:
        for factory in processes_or_factories:
            running.append(factory())
        yield running
    finally:
        for process in reversed(running):
            process.stop()


# --- Memory ---------------------------------------------------------------------------------

def rss_bytes(pid: int) -> int:
    """Resident memory (VmRSS) of one process; 0 if it is gone."""
    return _proc_field(Path(f"/proc/{pid}/status"), "VmRSS:")


def pss_bytes(pid: int) -> int:
    """Proportional memory of one process: pages shared with its parent after a fork count by share,
    so the sum over a process tree is what the tree really uses."""
    return _proc_field(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")


def _proc_field(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


class MemorySampler:
    """Samples a figure (e.g. the largest RSS of gunicorn's workers) every `interval` seconds in a
    thread, while a load runs."""

    def __init__(self, measure, interval: float = 0.5):
        self.samples: list[tuple[float, int]] = []
        self._measure = measure
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self._measure()))
            self._stop.wait(self._interval)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.monotonic(), self._measure()))

    def peak(self) -> int:
        return max((value for _moment, value in self.samples), default=0)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"
