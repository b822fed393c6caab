"""Real processes for the tests: `flask --app wsgi worker` and Redis servers of our own.

A worker here is what production runs: `flask --app wsgi worker`, a supervisor and its `PortalWorker` process,
with the test app's settings passed the way production passes them, as environment variables
(portal/config.py reads them). Each worker starts in a session of its own, so a test can kill it
the way a lost machine dies (SIGKILL, no cleanup) without touching the test run itself.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from portal.config import RFC_5321_TIMEOUTS
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]


def wait_until(condition: Callable[[], object], *, timeout: float = 30, what: str = "the condition"):
    """Poll until `condition()` is truthy and return it; fail after `timeout` seconds.

    A generous deadline on a condition, not a sleep standing in for one.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# --- Workers --------------------------------------------------------------------------------

def worker_environment(app: Flask) -> dict[str, str]:
    """The test app's settings as the environment a `flask --app wsgi …` process reads."""
    config = app.config
    return {
        **os.environ,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": config["REDIS_URL"],
        "RQ_QUEUE": config["RQ_QUEUE"],
        "MAIL_SERVER": config["MAIL_SERVER"],
        "MAIL_PORT": str(config["MAIL_PORT"]),
        **{name: str(config[name]) for name in RFC_5321_TIMEOUTS},
        "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"],
        "PORTAL_PROGRAM": config["PORTAL_PROGRAM"],
        "PORTAL_TIMEZONE": config["BABEL_DEFAULT_TIMEZONE"],
        "SECRET_KEY": config["SECRET_KEY"],
        "PORTAL_ENV": config["PORTAL_ENV"],
        "ALLOW_SQLITE_IN_PRODUCTION": "1" if config["ALLOW_SQLITE_IN_PRODUCTION"] else "",
        "DATABASE_TIMEOUT_SECONDS": str(config["DATABASE_TIMEOUT_SECONDS"]),
        "RATELIMIT_ENABLED": "1" if config["RATELIMIT_ENABLED"] else "0",
        "SIGNUP_MIN_FILL_SECONDS": str(config["SIGNUP_MIN_FILL_SECONDS"]),
    }


class WorkerProcess:
    """One `flask --app wsgi worker` process, started in a session of its own.

    Its output goes to a file: a pipe nobody reads fills up and blocks the worker.
    """

    def __init__(self, app: Flask, *, burst: bool = True, arguments: tuple[str, ...] = ()):
        self._log = tempfile.TemporaryFile(mode="w+")
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *(["--burst"] if burst else []),
                   *arguments]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=worker_environment(app), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def wait(self, timeout: float = 120) -> int:
        """Wait for the worker to exit and return its exit code; kill it and fail after `timeout`."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"Worker {self.pid} still running after {timeout} s:\n{self.output()[-3000:]}")

    def wait_for_success(self, timeout: float = 120) -> str:
        code = self.wait(timeout)
        assert code == 0, f"worker {self.pid} exited with {code}:\n{self.output()[-3000:]}"
        return self.output()

    def work_horses(self) -> list[int]:
        """The worker's forked children: the worker process its supervisor runs (and RQ's scheduler
        process, which that one forks, is its child in turn)."""
        return child_pids(self.pid)

    def kill(self) -> None:
        """SIGKILL the worker and its work horses, as a lost machine would: nothing gets to clean up.

        The parent goes first, so it never sees a horse die and reports nothing to Redis.
        """
        horses = self.work_horses()
        _kill_group(self.pid)
        for horse in horses:
            _kill_group(horse)
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Kill the worker if it still runs (a test that failed half-way), and forget its output."""
        if self.process.poll() is None:
            self.kill()
        self._log.close()


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone in between
        # "pid (command) state ppid ...": the command may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def _kill_group(pid: int) -> None:
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except ProcessLookupError:
        pass


# --- Redis ----------------------------------------------------------------------------------

class RedisServer:
    """A `redis-server` of our own, without persistence, that a test may stop and start again on the
    same port (clients reconnect to it as to a restarted production Redis)."""

    def __init__(self, port: int | None = None):
        if shutil.which("redis-server") is None:
            pytest.fail("No redis-server to start (apt-get install redis-server)")
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"redis-server on port {self.port} exited with {self.process.returncode}")
        client = Redis.from_url(self.url(), socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except RedisConnectionError:
            return False
        finally:
            client.close()


# --- gunicorn -------------------------------------------------------------------------------

class GunicornProcess:
    """`gunicorn wsgi:app` as production runs it, with the repository's gunicorn.conf.py, the test
    app's settings as its environment, and its access and error logs in a file the test reads."""

    def __init__(self, app: Flask, *, workers: int = 2):
        self.port = free_port()
        self._log = tempfile.TemporaryFile(mode="w+")
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}",
                   "-w", str(workers), "wsgi:app"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=worker_environment(app), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._answers, timeout=60, what="gunicorn to answer /healthz")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.output()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return connection.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(os.getpgid(self.process.pid), signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill_group(self.process.pid)
                self.process.wait(timeout=10)
        self._log.close()
