"""Baseline for `demo-data N`: N rows of the same width inserted with SQLAlchemy Core, committed
every 500 rows as demo-data does, into a table of its own.

    python -m bench.baselines.bulk_insert N   (DATABASE_URL from the environment)
"""

import os
import sys
from datetime import datetime

import sqlalchemy

metadata = sqlalchemy.MetaData()
rows = sqlalchemy.Table(
    "baseline_requests", metadata,
    sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
    sqlalchemy.Column("reference_code", sqlalchemy.String(9), unique=True),
    sqlalchemy.Column("first_name", sqlalchemy.String(100)),
    sqlalchemy.Column("last_name", sqlalchemy.String(100)),
    sqlalchemy.Column("email", sqlalchemy.String(254), index=True),
    sqlalchemy.Column("zip_code", sqlalchemy.String(10)),
    sqlalchemy.Column("state", sqlalchemy.String(20)),
    sqlalchemy.Column("created_at", sqlalchemy.DateTime),
)


def main(count: int) -> None:
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    metadata.create_all(engine)
    now = datetime.utcnow()
    with engine.connect() as connection:
        for start in range(0, count, 500):
            connection.execute(rows.insert(), [
                {"reference_code": f"B{number:08d}", "first_name": f"First{number}", "last_name": f"Last{number}",
                 "email": f"learner.{number}@example.com", "zip_code": "12207", "state": "invited", "created_at": now}
                for number in range(start, min(count, start + 500))
            ])
            connection.commit()
    engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]))
