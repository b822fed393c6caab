"""What every benchmark of one run shares: sizes, where the services are, the SMTP server, the logs."""

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.services import SmtpReceiver
from bench.sizes import Sizes


@dataclass
class Context:
    sizes: Sizes
    postgres_url: str  # BENCH_POSTGRES_URL; empty: the benchmarks that need PostgreSQL fail and say so
    web_redis_url: str  # BENCH_REDIS_URL: the web benchmarks' Redis database (emptied)
    jobs_redis_url: str  # BENCH_JOBS_REDIS_URL: the bursts' and the workers' (emptied)
    log_dir: Path
    smtp: SmtpReceiver
    notes: list[str] = field(default_factory=list)  # printed under the table
    _numbers: itertools.count = field(default_factory=itertools.count)

    def log(self, name: str) -> Path:
        """A log file of its own for each process or step (kept after the run, for a failure)."""
        return self.log_dir / f"{next(self._numbers):02d}-{name}.log"

    @classmethod
    def from_environment(cls, sizes: Sizes, log_dir: Path, smtp: SmtpReceiver, redis_urls: tuple[str, str]):
        return cls(
            sizes=sizes,
            postgres_url=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"),
            web_redis_url=redis_urls[0],
            jobs_redis_url=redis_urls[1],
            log_dir=log_dir,
            smtp=smtp,
        )


def redis_urls_from_environment() -> tuple[str, str]:
    """BENCH_REDIS_URL (the web benchmarks') and BENCH_JOBS_REDIS_URL (the bursts'), both emptied."""
    return (os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/12",
            os.environ.get("BENCH_JOBS_REDIS_URL") or "redis://127.0.0.1:6379/13")
