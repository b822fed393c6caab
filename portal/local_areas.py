"""Local areas of requests already in the database, for when the program file's `[local_areas]`
change (an area added, a ZIP prefix moved to another area): new sign-ups get theirs when they sign up."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select, update

from portal.audit import record_audit
from portal.extensions import db
from portal.models import SignupRequest
from portal.programs import current_program

BATCH_SIZE = 5_000
ACTOR = "assign-local-areas command"


@dataclass
class AreaReport:
    checked: int = 0
    #: Had no area, have one now.
    given: int = 0
    #: Moved from one area to another.
    moved: int = 0
    #: Their ZIP code is in no area of the program any more.
    cleared: int = 0

    @property
    def changed(self) -> int:
        return self.given + self.moved + self.cleared

    def summary(self) -> str:
        return (f"Checked {self.checked:,} requests: {self.given:,} given an area, {self.moved:,} moved to another "
                f"area, {self.cleared:,} in no area any more; {self.checked - self.changed:,} unchanged.")


def count_program_requests() -> int:
    program = current_program()
    query = select(func.count()).select_from(SignupRequest).where(SignupRequest.program == program.code)
    return db.session.scalar(query)


def assign_local_areas(progress: Callable[[int], None] = lambda _n: None, batch_size: int = BATCH_SIZE) -> AreaReport:
    """Give every request of the program the area its ZIP code belongs to now (`Program.area_for_zip`),
    a batch of requests per transaction (in id order, so a run cut short is simply run again);
    running it twice changes nothing the second time."""
    program = current_program()
    area_for_zip = cache(program.area_for_zip)
    table = SignupRequest.__table__
    change = update(table).where(table.c.id == bindparam("request_id")).values(local_area=bindparam("area"))
    report = AreaReport()
    last_id = 0
    while True:
        rows = db.session.execute(
            select(table.c.id, table.c.zip_code, table.c.local_area)
            .where(table.c.program == program.code, table.c.id > last_id).order_by(table.c.id).limit(batch_size)
        ).all()
        if not rows:
            break
        changes = []
        for request_id, zip_code, current in rows:
            area = area_for_zip(zip_code)
            if area == current:
                continue
            changes.append({"request_id": request_id, "area": area})
            if current is None:
                report.given += 1
            elif area is None:
                report.cleared += 1
            else:
                report.moved += 1
        if changes:
            db.session.execute(change, changes)
        db.session.commit()
        report.checked += len(rows)
        last_id = rows[-1][0]
        progress(len(rows))
    if report.changed:
        record_audit("local_areas_assigned", actor=ACTOR, reason="the program file's local areas changed",
                     after={"checked": report.checked, "given": report.given, "moved": report.moved,
                            "cleared": report.cleared})
        db.session.commit()
    return report
