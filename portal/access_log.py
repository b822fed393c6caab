"""gunicorn's logger for the portal (`logger_class` in gunicorn.conf.py): access lines without
join tokens, query strings or referrers, and the same redaction as the app's own logs.

gunicorn writes the raw request line (`%(r)s`), path (`%(U)s`), query (`%(q)s`) and Referer
(`%(f)s`): a join link's token, a staff member's search for an applicant's name, a status page's
address. Whatever the access log format says, those atoms arrive here already cut.
"""

from gunicorn.glogging import Logger

from portal.logs import REDACTED, add_redaction, redact


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                add_redaction(handler)

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["q"] = REDACTED if environ.get("QUERY_STRING") else ""
        query = "?" + REDACTED if atoms["q"] else ""
        atoms["r"] = f"{environ['REQUEST_METHOD']} {path}{query} {environ['SERVER_PROTOCOL']}"
        atoms["f"] = "-"
        for name in ("{referer}i", "{cookie}i", "{raw_uri}e", "{query_string}e", "{path_info}e", "{http_referer}e",
                     "{http_cookie}e", "{request_uri}e"):
            if name in atoms:
                atoms[name] = REDACTED
        return atoms
