"""The staff pages, one module per topic: sign-in, the work queues, a request's page, files."""

from portal.admin.routes import exports, requests, sign_in, work_queues  # noqa: F401  (registers the views)
