"""Fixtures of the staff pages' tests."""

import pytest

from tests.factories import make_staff, sign_in


@pytest.fixture
def staff(app_context, client):
    """A help-desk member, signed in on `client`."""
    member = make_staff()
    sign_in(client)
    return member
