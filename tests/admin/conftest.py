"""Fixtures of the staff pages' tests."""

import pytest

from portal.models import StaffRole
from tests.factories import make_staff, sign_in


@pytest.fixture
def staff(app_context, client):
    """A help-desk member, signed in on `client`."""
    member = make_staff()
    sign_in(client)
    return member


@pytest.fixture
def admin_client(app, client):
    """`client`, signed in as an administrator (admin@agency.example.gov)."""
    with app.app_context():
        make_staff("admin@agency.example.gov", StaffRole.ADMIN)
    sign_in(client, "admin@agency.example.gov")
    return client
