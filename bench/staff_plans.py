"""The queries behind staff pages, timed and explained: for each URL given, the page is asked for
once through Flask's test client (with the signed-in staff member's session cookie), every SQL
statement it ran is caught, run again, and explained with EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL.

    python -m bench.staff_plans COOKIE OUTPUT.json URL...   (the portal's environment)

Writes a JSON list of {url, sql, parameters, ms, plan}, slowest first.
"""

import json
import sys
import time

from sqlalchemy import event

from wsgi import app


def main(cookie: str, output: str, urls: list[str]) -> None:
    from portal.extensions import db

    found = []
    with app.app_context():
        engine = db.engine
        caught: list[tuple[str, object]] = []

        def catch(_connection, _cursor, statement, parameters, _context, _executemany):
            caught.append((statement, parameters))

        client = app.test_client()
        for pair in cookie.split("; "):
            name, _equals, value = pair.partition("=")
            client.set_cookie(name, value)
        for url in urls:
            caught.clear()
            event.listen(engine, "before_cursor_execute", catch)
            try:
                status = client.get(url, base_url="https://localhost").status_code
            finally:
                event.remove(engine, "before_cursor_execute", catch)
            if status not in (200, 302) or not caught:
                raise SystemExit(f"{url} answered {status} after {len(caught)} queries")
            for statement, parameters in list(caught):
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                connection = engine.raw_connection()
                try:
                    cursor = connection.cursor()
                    began = time.perf_counter()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                    milliseconds = (time.perf_counter() - began) * 1000
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    connection.rollback()
                finally:
                    connection.close()
                found.append({"url": url, "sql": statement, "parameters": repr(parameters), "ms": milliseconds,
                              "plan": plan})
    found.sort(key=lambda query: -query["ms"])
    with open(output, "w") as file:
        json.dump(found, file, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
