"""How big each benchmark is: the issue's sizes by default, tiny ones for the smoke run in `make test`.

Every size is an environment variable, BENCH_ + the field's name in capitals (BENCH_BURST=2000).
"""

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Sizes:
    seconds: int = 10  # each wrk measurement
    warmup_seconds: int = 2  # wrk against the same route first, not counted (0: none)
    connections: int = 16  # wrk's open connections (2 threads)
    burst: int = 10_000  # sign-ups in the activation burst (and no-op jobs in its baselines)
    steady_rate: int = 20  # sign-ups per second in the steady run
    steady_seconds: int = 60
    export_rows: int = 50_000  # the provider file; memory is compared with a tenth of it
    staff_requests: int = 1_000_000  # `flask demo-data N`, then the staff pages read them
    staff_samples: int = 200  # requests per staff page (one at a time) for its p95
    timeout: int = 3600  # seconds a burst may take to drain before it is reported failed


FULL = Sizes()
SMOKE = Sizes(seconds=1, warmup_seconds=0, connections=4, burst=20, steady_rate=5, steady_seconds=2,
              export_rows=300, staff_requests=3000, staff_samples=5, timeout=120)


def from_environment(defaults: Sizes) -> Sizes:
    changes = {}
    for field in fields(Sizes):
        value = os.environ.get(f"BENCH_{field.name.upper()}", "").strip()
        if value:
            changes[field.name] = int(value)
    return replace(defaults, **changes)
