"""The Spanish catalog covers every user-facing string, and its placeholders match the English."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_spanish_catalog_translates_every_string_in_the_code(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [Path(sys.executable).with_name("pybabel"), "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(template), "."],
        cwd=ROOT, check=True,
    )
    with template.open("rb") as file:
        wanted = {message.id for message in read_po(file) if message.id}
    with (ROOT / "translations/es/LC_MESSAGES/messages.po").open("rb") as file:
        catalog = read_po(file)
    translated = {message.id: message for message in catalog if message.id}

    missing = sorted(map(str, wanted - translated.keys()))
    assert not missing, f"Not in the Spanish catalog (run `make translations`, then translate): {missing}"
    empty = sorted(str(msgid) for msgid in wanted if not all(_forms(translated[msgid].string)))
    assert not empty, f"Untranslated: {empty}"
    fuzzy = sorted(str(msgid) for msgid in wanted if translated[msgid].fuzzy)
    assert not fuzzy, f"Fuzzy (check and remove the flag): {fuzzy}"
    for msgid in wanted:
        for english, spanish in zip(_forms(msgid), _forms(translated[msgid].string), strict=False):
            assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(spanish)), msgid


def _forms(text) -> tuple[str, ...]:
    """A message's text, or its singular and plural forms."""
    return (text,) if isinstance(text, str) else tuple(text)


def test_spanish_catalog_is_compiled(app):
    from flask_babel import force_locale, gettext

    with app.app_context(), force_locale("es"):
        assert gettext("Sign up now") == "Inscríbase ahora"
