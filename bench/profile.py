"""Where the worker spends its time: py-spy samples one worker (and its forked work horses) during
the burst; the summary lists the functions that take most of the samples."""

import shutil
import signal
import subprocess
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from bench.services import BIN, ROOT, Process

TOP = 25


@contextmanager
def worker(context, process: Process, enabled: bool):
    if not enabled:
        yield
        return
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if spy is None:
        context.notes.append("profile: py-spy is not installed (make bench installs it)")
        yield
        return
    raw = context.log_dir / "worker-profile.txt"
    log = context.log("py-spy")
    with log.open("w") as output:
        sampler = subprocess.Popen([spy, "record", "--pid", str(process.pid), "--subprocesses", "--rate", "100",
                                    "--format", "raw", "--output", str(raw), "--nonblocking"],
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)
        try:
            sampler.wait(timeout=60)
        except subprocess.TimeoutExpired:
            sampler.kill()
            sampler.wait()
        summary = summarise(raw) if raw.exists() else f"py-spy wrote no profile; see {log}"
        (context.log_dir / "worker-profile-summary.txt").write_text(summary)
        context.notes.append(f"Worker profile during the burst ({raw}):\n{summary}")


def summarise(raw: Path) -> str:
    """Self and total share of samples per function, from py-spy's collapsed stacks."""
    own, total, samples = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _space, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        if not frames:
            continue
        samples += int(count)
        own[_function(frames[-1])] += int(count)
        for function in {_function(frame) for frame in frames}:
            total[function] += int(count)
    if not samples:
        return "no samples"
    lines = [f"{samples} samples. Total (the function and what it calls):"]
    lines += [f"  {count / samples:6.1%}  {function}" for function, count in total.most_common(TOP)]
    lines.append("Self (the function's own code):")
    lines += [f"  {count / samples:6.1%}  {function}" for function, count in own.most_common(TOP)]
    return "\n".join(lines)


def _function(frame: str) -> str:
    """py-spy frames read "function (path/to/file.py:line)": keep the function and the file, drop the line."""
    name, _space, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", f"{ROOT}/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"
