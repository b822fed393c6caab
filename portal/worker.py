"""The RQ worker the portal runs: builds the Flask app once, before forking a child per job."""

from rq import Worker

from jobs.context import portal_app


class PortalWorker(Worker):
    """Each job still runs in its own forked child (a crash or leak dies with it), but the child
    inherits an app that is already built instead of importing and building it anew."""

    def __init__(self, *args, **kwargs):
        portal_app()
        super().__init__(*args, **kwargs)
