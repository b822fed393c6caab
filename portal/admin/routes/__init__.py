"""The staff pages, one module per topic: sign-in, the work queues and search, a request's page
and its actions, staff-assisted sign-up, files, the dashboard, staff accounts and the audit trail."""

from portal.admin.routes import (  # noqa: F401  (registers the views)
    audit,
    dashboard,
    exports,
    requests,
    sign_in,
    signups,
    staff_accounts,
    work_queues,
)
