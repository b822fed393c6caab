"""The RQ worker the portal runs: builds and warms the Flask app once, before forking a child per job."""

from rq import Worker

from jobs.context import portal_app


class PortalWorker(Worker):
    """Each job still runs in its own forked child (a crash or leak dies with it), but the child
    inherits an app that is already built and warm instead of building it anew."""

    def __init__(self, *args, **kwargs):
        warm_up(portal_app())
        super().__init__(*args, **kwargs)


def warm_up(app) -> None:
    """Do once, in the parent, what every forked child would otherwise redo for its one job:
    configure the ORM mappers, compile the email templates, load the program file and the Spanish
    catalog, and import the job modules (bench/worker_throughput.py measures the difference)."""
    from importlib import import_module

    from flask_babel import force_locale, get_translations
    from sqlalchemy.orm import configure_mappers

    from jobs.schedule import PERIODIC_JOBS
    from portal.programs import current_program
    from portal.queue import ACTIVATE_REQUEST, SEND_EMAIL

    configure_mappers()
    for function in [ACTIVATE_REQUEST, SEND_EMAIL, *(job.function for job in PERIODIC_JOBS)]:
        import_module(function.rsplit(".", 1)[0])
    with app.app_context():
        current_program()
        for name in app.jinja_env.list_templates(filter_func=lambda name: name.startswith("email/")):
            app.jinja_env.get_template(name)
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()  # cached by Flask-Babel for every later context
