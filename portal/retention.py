"""Purging personal data once the program's retention period is over.

A request is over when it closed (denied, removed or completed: from its last change of state), or
when the program itself ended (every request, from the end of `program_ends`). `retention_days`
(program file) after that, the request goes: its row, its history and its emails, which hold the
name, address, phone, ZIP code and case id. What reports still need stays as anonymous counts
(`purged_request_counts`: days and answers, nothing that names a person), and each purged request
leaves an audit row with its reference code. The export files of periods that long past go too
(they list names and emails).

Idempotent and safe to run beside itself: each batch takes the rows it purges with `FOR UPDATE SKIP
LOCKED` on PostgreSQL (SQLite lets one writer at a time), deletes them, adds their counts and audit
rows, and commits, all in one transaction; a purged request is gone, so it is never counted twice.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from portal.audit import record_audit
from portal.clock import end_of_local_day, local_date
from portal.extensions import db
from portal.models import (
    CLOSED_STATES,
    ExportFile,
    PurgedRequestCount,
    RequestEvent,
    SignupRequest,
    utcnow,
)
from portal.programs import Program, current_program
from portal.statistics import anonymous_kind

log = logging.getLogger(__name__)

#: Requests purged per transaction.
BATCH_SIZE = 500


@dataclass(frozen=True)
class PurgeReport:
    requests: int
    export_files: int


def purge_expired(actor: str, now: datetime | None = None) -> PurgeReport:
    """Remove the personal data whose retention period is over; `actor` names the job or command."""
    program = current_program()
    now = now or utcnow()
    requests = 0
    while True:
        candidates = db.session.scalars(_expired_requests(program, now).limit(BATCH_SIZE)).all()
        purged = _purge_requests(candidates, program, actor) if candidates else 0
        requests += purged
        if purged == 0:  # nothing left, or what is left is being purged by another run right now
            break
    export_files = _purge_export_files(program, now, actor)
    if requests or export_files:
        log.info("Purged %s requests and %s export files past %s days", requests, export_files, program.retention_days)
    return PurgeReport(requests=requests, export_files=export_files)


def _expired_requests(program: Program, now: datetime):
    """Ids of the program's requests whose retention period ended before `now`."""
    cutoff = now - timedelta(days=program.retention_days)
    last_change = (
        select(RequestEvent.request_id, func.max(RequestEvent.created_at).label("at"))
        .group_by(RequestEvent.request_id)
        .subquery()
    )
    program_over = true() if end_of_local_day(program.program_ends) <= cutoff else false()
    return (
        select(SignupRequest.id)
        .outerjoin(last_change, last_change.c.request_id == SignupRequest.id)
        .where(
            SignupRequest.program == program.code,
            or_(
                program_over,
                and_(SignupRequest.state.in_(CLOSED_STATES),
                     func.coalesce(last_change.c.at, SignupRequest.updated_at) <= cutoff),
            ),
        )
        .order_by(SignupRequest.id)
    )


def _purge_requests(request_ids: list[int], program: Program, actor: str) -> int:
    """Purge these requests in one transaction (those another run holds are skipped); how many."""
    signups = db.session.scalars(
        select(SignupRequest)
        .where(SignupRequest.id.in_(request_ids))
        .options(selectinload(SignupRequest.events), selectinload(SignupRequest.emails))
        .with_for_update(skip_locked=True, of=SignupRequest)
    ).all()
    counts = Counter(frozenset(anonymous_kind(signup).items()) for signup in signups)
    reason = f"Retention period over: {program.retention_days} days after the request closed or the program ended"
    for signup in signups:
        closed_at = signup.events[-1].created_at if signup.events else signup.updated_at
        record_audit("personal_data_purged", actor=actor, signup=signup, reason=reason,
                     before={"state": signup.state, "closed_on": local_date(closed_at)})
        db.session.delete(signup)  # its history and emails go with it
    now = utcnow()
    db.session.add_all(PurgedRequestCount(program=program.code, request_count=count, purged_at=now, **dict(kind))
                       for kind, count in counts.items())
    db.session.commit()
    return len(signups)


def _purge_export_files(program: Program, now: datetime, actor: str) -> int:
    """Delete the export files whose period ended more than the retention period ago (names, emails)."""
    last_day = local_date(now - timedelta(days=program.retention_days))
    files = db.session.scalars(
        select(ExportFile).where(ExportFile.period_end < last_day).with_for_update(skip_locked=True)
    ).all()
    for export_file in files:
        record_audit("export_file_purged", actor=actor, reason=f"Retention period over: {program.retention_days} "
                     "days after the period it covers", before={"filename": export_file.filename,
                                                                 "row_count": export_file.row_count})
        db.session.delete(export_file)
    db.session.commit()
    return len(files)

