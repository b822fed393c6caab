"""The sign-up portal for free online-training licenses."""

import logging
import os

from flask import Flask, jsonify
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from portal.config import DEVELOPMENT_SECRET_KEY, load_settings


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_settings(app.instance_path))
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Web and worker processes share the file: wait for a lock instead of failing at once.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY:
        app.logger.warning("SECRET_KEY is not set: using the development key. Set it in production.")

    from portal import i18n, rate_limits
    from portal.extensions import babel, csrf, db, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    rate_limits.init_app(app)

    from portal.admin import bp as admin_bp
    from portal.applicant import bp as applicant_bp
    from portal.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(applicant_bp)
    app.register_blueprint(admin_bp)
    i18n.init_app(app)

    from portal import cli, static_files

    cli.init_app(app)
    static_files.init_app(app)
    _register_template_globals(app)
    _register_health_checks(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets the web read while a worker writes; SQLite enforces foreign keys only when asked."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _register_template_globals(app: Flask) -> None:
    from flask_babel import format_date, format_datetime, format_time, format_timedelta

    from portal.models import utcnow
    from portal.programs import current_program

    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime, format_time=format_time,
                                 format_timedelta=format_timedelta)

    @app.context_processor
    def program_and_clock():
        return {"program": current_program(), "sla_hours": app.config["ACTIVATION_SLA_HOURS"], "now": utcnow()}


def _register_health_checks(app: Flask) -> None:
    from portal.extensions import db
    from portal.queue import redis_connection

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks = {}
        try:
            db.session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as error:  # report, don't crash: this page exists to say what is down
            checks["database"] = f"error: {type(error).__name__}"
        try:
            redis_connection().ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return jsonify(status="ok" if ready else "unavailable", **checks), 200 if ready else 503
