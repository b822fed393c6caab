"""One key per mailbox, however its address is written."""

import pytest

from portal.identifiers import email_domain, mailbox_key, normalize_email


@pytest.mark.parametrize(("typed", "key"), [
    ("Maria.Gonzalez@Example.com ", "maria.gonzalez@example.com"),  # case and spaces
    ("maria.gonzalez+jobs@example.com", "maria.gonzalez@example.com"),  # a plus-tag, at any provider
    ("maria.gonzalez+a+b@example.com", "maria.gonzalez@example.com"),
    ("M.A.R.I.A+x@gmail.com", "maria@gmail.com"),  # Gmail ignores dots...
    ("maria@googlemail.com", "maria@gmail.com"),  # ...and answers to googlemail.com
    ("Ma.Ria@GoogleMail.com.", "maria@gmail.com"),
    ("ma.ria@outlook.com", "ma.ria@outlook.com"),  # elsewhere a dot is part of the name
    ("+only@example.com", "+only@example.com"),  # nothing before the tag: keep it whole
    ("not-an-address", "not-an-address"),
])
def test_mailbox_key(typed, key):
    assert mailbox_key(typed) == key


def test_the_address_we_write_to_is_kept_as_typed():
    assert normalize_email(" Maria.Gonzalez+Jobs@Gmail.com ") == "maria.gonzalez+jobs@gmail.com"
    assert email_domain("x@GoogleMail.com") == "gmail.com"
