"""gunicorn's settings for the portal; gunicorn reads this file from the directory it starts in.

    gunicorn -w 4 -b 0.0.0.0:8000 wsgi:app

Access lines without join tokens, query strings or referrers (`portal.access_log`), and no
`Server: gunicorn` banner on responses.
"""

from gunicorn.http import wsgi as gunicorn_wsgi

# A request that has not finished in 30 s is killed; the portal's own timeouts (database 3 s,
# Redis 0.5 s) answer long before.
timeout = 30
accesslog = "-"
errorlog = "-"
logger_class = "portal.access_log.RedactingLogger"
# Requests larger than the app accepts are refused by the app (413); these cap what gunicorn
# itself buffers before the app sees it.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# gunicorn writes "Server: gunicorn" on every response and has no setting to leave it out (its
# maintainers declined one: benoitc/gunicorn#825). Drop that one line from its default headers.
_default_headers = gunicorn_wsgi.Response.default_headers


def _default_headers_without_server(response):
    return [line for line in _default_headers(response) if not line.lower().startswith("server:")]


gunicorn_wsgi.Response.default_headers = _default_headers_without_server
