import pytest

from portal.extensions import db
from portal.models import SeatPool
from tests.jobs.workers import SeatPoolLock


@pytest.fixture
def seat_pool_lock(app):
    with app.app_context():
        db.session.add(SeatPool(program="ny", seats_taken=0))
        db.session.commit()
    lock = SeatPoolLock(app.config["SQLALCHEMY_DATABASE_URI"])
    yield lock
    lock.close()
