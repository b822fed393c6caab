"""Baseline for the provider export: the same rows streamed straight to a CSV file with SQLAlchemy
Core (no ORM objects, nothing kept in memory), so the portal's time and peak memory can be read
against what this machine does for the bare work.

    python -m bench.baselines.export_rows FROM_UTC TO_UTC OUTPUT   (DATABASE_URL from the environment)
"""

import csv
import os
import sys

import sqlalchemy

QUERY = sqlalchemy.text(
    "SELECT first_name, last_name, email, preferred_language, reference_code, invited_at, enroll_by "
    "FROM signup_requests WHERE invited_at >= :start AND invited_at < :end ORDER BY invited_at, reference_code"
)


def main(start: str, end: str, output: str) -> None:
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as connection, open(output, "w", newline="") as file:
        writer = csv.writer(file)
        result = connection.execution_options(yield_per=1000).execute(QUERY, {"start": start, "end": end})
        writer.writerow(result.keys())
        for row in result:
            writer.writerow(row)
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:4])
