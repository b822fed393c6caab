"""Baseline for the sign-up POST: a bare Flask app that inserts one row with Flask-SQLAlchemy and
enqueues one RQ job, then redirects (`gunicorn bench.baselines.insert_enqueue:app`; DATABASE_URL,
REDIS_URL and RQ_QUEUE as for the portal). No forms, CSRF, templates or translations: what is left
is the database and Redis work every sign-up needs. SQLite gets the portal's pragmas (WAL, a lock
timeout), so both run on the same database settings.
"""

import os
from datetime import datetime

from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from redis import Redis
from rq import Queue
from sqlalchemy import String, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Signup(db.Model):
    __tablename__ = "baseline_signups"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db.init_app(app)
    queue = Queue(os.environ.get("RQ_QUEUE", "bench"), connection=Redis.from_url(os.environ["REDIS_URL"]))

    @app.post("/signup")
    def signup():
        row = Signup(email=request.form["email"], first_name=request.form["first_name"],
                     last_name=request.form["last_name"])
        db.session.add(row)
        db.session.commit()
        queue.enqueue("bench.baselines.noop.noop", row.id, result_ttl=0)
        return redirect("/received")

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")


def create_tables() -> None:
    with create_app().app_context():
        db.create_all()


if os.environ.get("DATABASE_URL"):
    app = create_app()

if __name__ == "__main__":
    create_tables()
