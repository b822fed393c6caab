"""The files the pages load: fingerprinted, kept by browsers for a year, compressed; pages too."""

import gzip
import re
from pathlib import Path

import brotli
import pytest

from portal.static_files import CACHE_FOR_A_YEAR
from tests.conftest import post_form

DIST = Path(__file__).resolve().parent.parent / "portal" / "static" / "dist"
ASSET_LINK = re.compile(r'(?:href|src)="(/static/dist/[^"]+)"')
PUBLIC_PAGES = ["/en/", "/es/", "/en/signup", "/es/signup", "/en/status", "/es/status", "/es/join/not-a-token"]


def _asset_urls(client, page: str) -> list[str]:
    return ASSET_LINK.findall(client.get(page).get_data(as_text=True))


def test_pages_load_the_fingerprinted_stylesheet_script_and_icon(client):
    urls = _asset_urls(client, "/es/signup")
    names = sorted(re.sub(r"-[A-Z0-9]{8}\.", ".", url.rsplit("/", 1)[1]) for url in urls)
    assert names == ["favicon.svg", "portal.css", "portal.js"], urls
    for url in urls:
        assert re.search(r"-[A-Z0-9]{8}\.(css|js|svg)$", url), url
        assert (DIST / url.rsplit("/", 1)[1]).is_file(), url


def test_fingerprinted_files_are_cached_for_a_year_and_served_compressed(client):
    stylesheet = next(url for url in _asset_urls(client, "/en/") if url.endswith(".css"))
    source = (DIST / stylesheet.rsplit("/", 1)[1]).read_bytes()

    as_brotli = client.get(stylesheet, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert as_brotli.status_code == 200
    assert as_brotli.headers["Cache-Control"] == CACHE_FOR_A_YEAR == "public, max-age=31536000, immutable"
    assert as_brotli.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in as_brotli.headers["Vary"]
    assert brotli.decompress(as_brotli.data) == source
    assert len(as_brotli.data) < len(source) / 5

    as_gzip = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.data) == source

    plain = client.get(stylesheet)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == source


def test_the_stylesheets_icons_are_fingerprinted_too(client):
    stylesheet = next(url for url in _asset_urls(client, "/en/") if url.endswith(".css"))
    icons = re.findall(r'url\("\./([^"]+\.svg)"\)', client.get(stylesheet).get_data(as_text=True))
    assert any("error-" in icon for icon in icons), icons  # the error summary's icon
    for icon in icons:
        response = client.get(f"/static/dist/{icon}")
        assert response.status_code == 200, icon
        assert response.headers["Cache-Control"] == CACHE_FOR_A_YEAR


def test_favicon_answers(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_public_pages_are_compressed(client, encoding):
    response = client.get("/es/signup", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    html = brotli.decompress(response.data) if encoding == "br" else gzip.decompress(response.data)
    assert b"<form" in html
    assert len(response.data) < len(html) / 3


def test_a_form_with_errors_is_compressed_too(client):
    response = post_form(client, "/es/signup", {"first_name": "María"}, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.headers["Content-Encoding"] == "gzip"
    assert "María".encode() in gzip.decompress(response.data)


def test_staff_pages_are_not_compressed(client):
    """They show a search term beside a CSRF token: compressed together they leak it (BREACH)."""
    response = client.get("/admin/login", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert b"csrf_token" in response.data


@pytest.mark.parametrize("page", PUBLIC_PAGES + ["/admin/login"])
def test_pages_have_no_inline_script_or_style(client, page):
    """A Content-Security-Policy without 'unsafe-inline' would block them."""
    html = client.get(page).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert " style=" not in html
