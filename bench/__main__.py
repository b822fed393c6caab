"""Run the benchmarks and print one table: `python -m bench` (what `make bench` runs).

    python -m bench                 every benchmark, the issue's sizes (slow: the burst drains 10,000 sign-ups)
    python -m bench --smoke         tiny sizes: checks the harness runs end to end (part of `make test`)
    python -m bench --only pages --only signup-sqlite
    python -m bench --profile       then a tenth of the burst again with py-spy on one worker

Sizes are BENCH_* environment variables (bench/sizes.py); services: BENCH_POSTGRES_URL (default
postgresql://127.0.0.1:5432/test, a schema per benchmark), BENCH_REDIS_URL (default database 12) and
BENCH_JOBS_REDIS_URL (default database 13), both emptied. Exit status 1 when a benchmark failed.
"""

import argparse
import os
import platform
import signal
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from bench import burst, settings, staff, web
from bench.context import Context, redis_urls_from_environment
from bench.report import Row, render
from bench.services import ROOT, BenchmarkFailed, SmtpReceiver, reachable_redis
from bench.sizes import FULL, SMOKE, from_environment

#: In the order they run: the long burst last, so a run cut short still has the others.
BENCHMARKS = [*web.BENCHMARKS, *staff.BENCHMARKS, *burst.BENCHMARKS[::-1]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: does the harness run end to end?")
    parser.add_argument("--only", action="append", choices=[benchmark.name for benchmark in BENCHMARKS],
                        help="run only this benchmark (may be repeated)")
    parser.add_argument("--profile", action="store_true",
                        help="then a tenth of the burst again with py-spy on one worker (its summary is printed)")
    parser.add_argument("--log-dir", type=Path, help="where each process's log goes (default instance/bench/TIME)")
    options = parser.parse_args(argv)
    # A stopped run still stops its processes and drops its schemas (the `finally` blocks run).
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))

    sizes = from_environment(SMOKE if options.smoke else FULL)
    log_dir = options.log_dir or ROOT / "instance" / "bench" / datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir.mkdir(parents=True, exist_ok=True)
    selected = [benchmark for benchmark in BENCHMARKS if not options.only or benchmark.name in options.only]
    if options.profile:
        selected.append(burst.PROFILE)
    print("\n".join(_machine() + settings.describe() + [f"Sizes: {sizes}", f"Logs: {log_dir}", ""]), flush=True)

    rows: list[Row] = []
    with SmtpReceiver() as smtp, reachable_redis(*redis_urls_from_environment()) as redis_urls:
        context = Context.from_environment(sizes, log_dir, smtp, redis_urls)
        for benchmark in selected:
            print(f"== {benchmark.name}", flush=True)
            began = time.monotonic()
            recorded: list[Row] = []
            try:
                benchmark.run(context, recorded.append)
            except Exception as error:  # the table says it failed and why; the run goes on
                trace = context.log(f"{benchmark.name}-failed")
                trace.write_text(traceback.format_exc())
                reason = str(error) if isinstance(error, BenchmarkFailed) else f"{type(error).__name__}: {error}"
                reason = f"{reason.strip().splitlines()[0][:400]} (see {trace})"
                recorded += [Row(what, failed=reason) for what in benchmark.rows[len(recorded):]]
            rows += recorded
            print(f"   {time.monotonic() - began:.0f} s", flush=True)
            (log_dir / "table.md").write_text(render(rows) + "\n")  # so far, in case the run is cut short

    table = render(rows)
    ending = f"Load average at the end: {_load()}"
    print("\n" + table + "\n\n" + ending + "\n" + "\n\n".join(context.notes), flush=True)
    return 1 if any(row.failed for row in rows) else 0


def _machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    lines = [
        f"Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores, {memory / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"Command: python -m bench {' '.join(sys.argv[1:])}; load average at the start: {_load()}",
    ]
    if os.getloadavg()[0] > 0.5:
        lines.append("NOISY: other processes are using the CPUs; figures are rough (compare ratios, not rates)")
    return lines


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
