"""The program's pool of license seats.

Taking a seat is one conditional UPDATE, so however many workers race on one PostgreSQL the count
never passes the cap (each UPDATE re-reads the row it waited for). Which request holds a seat is
on the request itself (`holds_seat`), so a seat is given back exactly once.
"""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import SeatPool
from portal.programs import Program


def take_seat(program: Program) -> bool:
    """Take one seat in the caller's transaction; False when none is left."""
    for attempt in range(2):
        taken = db.session.execute(
            update(SeatPool)
            .where(SeatPool.program == program.code, SeatPool.seats_taken < program.seat_cap)
            .values(seats_taken=SeatPool.seats_taken + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            return True
        if attempt == 0:
            # The pool's first use: create it. Or another process created it after our UPDATE
            # looked (four workers at once found that): either way, the UPDATE is tried once more.
            _ensure_pool(program)
    return False


def put_seat_back(program: Program) -> None:
    """Return one seat to the pool, in the caller's transaction (nobody was waiting for it)."""
    db.session.execute(
        update(SeatPool)
        .where(SeatPool.program == program.code, SeatPool.seats_taken > 0)
        .values(seats_taken=SeatPool.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def seats_taken(program: Program) -> int:
    return db.session.scalar(select(SeatPool.seats_taken).where(SeatPool.program == program.code)) or 0


def seats_left(program: Program) -> int:
    return max(program.seat_cap - seats_taken(program), 0)


def _ensure_pool(program: Program) -> None:
    """Create the program's pool row on first use."""
    if db.session.get(SeatPool, program.code) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SeatPool(program=program.code, seats_taken=0))
    except IntegrityError:
        pass  # another process created it first
