"""Security headers on every response (Flask-Talisman), and no caching of anything but static files.

- Content-Security-Policy: scripts, styles, images and fonts only from this site, no inline script
  or style anywhere (the templates have none; `tests/test_headers.py` checks), no plugins, no
  framing (`frame-ancestors 'none'`, and X-Frame-Options: DENY for older browsers). Forms may post
  to this site only, and the join button's redirect may go on to the training provider.
- HSTS on HTTPS requests in production (browsers ignore it over plain HTTP, as RFC 6797 says).
- X-Content-Type-Options: nosniff; Referrer-Policy: same-origin (a join link's token never leaves
  in a Referer header; Flask-WTF's HTTPS referrer check still gets the same-origin one it needs).
- Cache-Control: no-store on every page. Nearly every page can show personal data (the received,
  status and join pages, a sign-up form sent back with its answers, every staff page, error pages
  that show the form again), so the rule is "every response but static files" rather than a list
  that a new page could be forgotten from. No copy stays in the browser's history or a shared proxy:
  on a library computer, the back button does not bring the last person's answers back.
"""

from urllib.parse import urlsplit

from flask import Flask, request
from flask_talisman import Talisman

from portal.config import DEVELOPMENT
from portal.programs import load_program


def content_security_policy(provider_join_url: str) -> dict:
    provider = urlsplit(provider_join_url)
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        # Chromium applies form-action to the redirect after a form: the join button goes on to the
        # provider's site.
        "form-action": f"'self' {provider.scheme}://{provider.netloc}",
    }


def init_app(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] != DEVELOPMENT
    # One Talisman per app: it keeps its options (and the app) on itself.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,  # TLS ends at the proxy in front, which also redirects http:// to https://
        strict_transport_security=production,
        strict_transport_security_include_subdomains=False,  # the agency's other hosts are not ours to bind
        frame_options="DENY",
        content_security_policy=content_security_policy(load_program(app.config["PORTAL_PROGRAM"]).provider_join_url),
        referrer_policy="same-origin",
        # SESSION_COOKIE_SECURE comes from portal.config (on in production); Talisman would otherwise
        # rewrite it on every request.
        session_cookie_secure=False,
        permissions_policy={"browsing-topics": "()", "camera": "()", "microphone": "()", "geolocation": "()"},
    )

    @app.after_request
    def no_store(response):
        if request.endpoint not in ("static", "favicon"):  # files, nobody's data
            response.headers["Cache-Control"] = "no-store"
        return response
