"""The sign-up portal for free online-training licenses."""

import os

from flask import Flask

from portal.config import DEVELOPMENT, load_settings


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app; in production, refuse to (UnsafeSettings) while a setting is missing or unsafe."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_settings(app.instance_path))
    if overrides:
        app.config.update(overrides)

    from portal import database, errors, headers, health, i18n, logs, rate_limits
    from portal.production import check_production_settings

    logs.configure_logging(app)
    check_production_settings(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config))

    from portal.extensions import babel, csrf, db, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    rate_limits.init_app(app)
    headers.init_app(app)
    errors.init_app(app)

    from portal.admin import bp as admin_bp
    from portal.applicant import bp as applicant_bp
    from portal.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(applicant_bp)
    app.register_blueprint(admin_bp)
    if app.config["PORTAL_ENV"] == DEVELOPMENT:
        from portal.admin.dev_mail import bp as dev_mail_bp

        app.register_blueprint(dev_mail_bp)  # the local sink's mail: development only
    i18n.init_app(app)

    from portal import cli, static_files

    cli.init_app(app)
    static_files.init_app(app)
    _register_template_globals(app)
    health.init_app(app)
    return app


def _register_template_globals(app: Flask) -> None:
    from flask_babel import format_date, format_datetime, format_time, format_timedelta, get_locale

    from portal.models import utcnow
    from portal.programs import current_program

    app.jinja_env.globals.update(format_date=format_date, format_datetime=format_datetime, format_time=format_time,
                                 format_timedelta=format_timedelta)

    @app.context_processor
    def program_and_clock():
        program = current_program()
        locale = get_locale()  # the page's language, or the one an email is rendered in
        return {"program": program, "names": program.names_in(locale.language if locale else "en"),
                "sla_hours": app.config["ACTIVATION_SLA_HOURS"], "now": utcnow()}
