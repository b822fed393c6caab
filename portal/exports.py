"""Files the portal makes for others: the provider's daily file and the case-management report.

Each file is a CSV kept in `export_files`, so any web process can offer it for download and a
scheduler on another machine can make it. Making a file is idempotent: the same period gives the
same bytes (rows in a fixed order, dates in fixed formats), and a file made again replaces the
stored one by its filename instead of adding a second. A file whose content did not change is not
written at all, so its `updated_at` says when its content last changed.

"Which day" is always the program's local day (`portal.clock`): a person invited at 11 p.m. in New
York belongs to that day's file, though it is already tomorrow in UTC.
"""

import csv
import enum
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from portal.clock import end_of_local_day, local_date, program_today, start_of_local_day
from portal.extensions import db
from portal.models import ExportFile, RequestEvent, RequestState, SignupRequest, utcnow
from portal.programs import Program, current_program

Progress = Callable[[int], None]

PROVIDER = "provider"
CASE_REPORT = "case_report"
PROVIDER_COLUMNS = ("first_name", "last_name", "email", "preferred_language", "reference_code", "invited_at",
                    "enroll_by")
#: A scheduler that was down for up to this many days still makes every daily file it missed.
CATCH_UP_DAYS = 14
#: History rows that are an activity in the case-management system, by the state they moved to.
CASE_ACTIVITY_STATES = (RequestState.INVITED, RequestState.ENROLLED, RequestState.COMPLETED, RequestState.REMOVED)
#: A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class ExportStatus(enum.StrEnum):
    CREATED = "created"
    UNCHANGED = "unchanged"
    UPDATED = "updated"


@dataclass(frozen=True)
class ExportResult:
    file_id: int
    filename: str
    status: ExportStatus
    row_count: int
    content: str


# --- The provider's daily file --------------------------------------------------------------

def export_provider_file(day: date, progress: Progress | None = None) -> ExportResult:
    """The provider's file of the learners invited on `day` (program-local), made or made again.

    Everyone whose invitation went out that day is in it, whatever happened since (enrolled,
    removed): the file answers "who was invited on that day", so making it again later gives the
    same file.
    """
    program = current_program()
    rows = (_provider_row(signup) for signup in db.session.scalars(_provider_query(program, day)))
    content, row_count = _csv_text(PROVIDER_COLUMNS, rows, progress)
    return _save(PROVIDER, provider_filename(program, day), day, day, content, row_count)


def export_provider_files_due(today: date | None = None) -> list[ExportResult]:
    """Make the provider's file of every finished day that has none yet (what the daily job runs).

    Looks back `CATCH_UP_DAYS`, so a scheduler that was down makes up the days it missed; days
    already exported are left as they are (their invitations cannot change once the day is over).
    Days before the program's first invitation get no file; quiet days after it get an empty one,
    so the provider can tell "nobody" from "the file is missing".
    """
    program = current_program()
    today = today or program_today()
    first_invitation = db.session.scalar(
        select(func.min(SignupRequest.invited_at)).where(SignupRequest.program == program.code))
    if first_invitation is None:
        return []  # nothing to tell the provider yet: no file of empty days before the first invitation
    first_day = local_date(first_invitation)
    days = [day for back in range(CATCH_UP_DAYS, 0, -1) if (day := today - timedelta(days=back)) >= first_day]
    names = {provider_filename(program, day): day for day in days}
    made = set(db.session.scalars(select(ExportFile.filename).where(ExportFile.filename.in_(names))))
    return [export_provider_file(day) for name, day in names.items() if name not in made]


def count_provider_rows(day: date) -> int:
    """How many rows `export_provider_file(day)` will write (for a progress bar)."""
    return _count(_provider_query(current_program(), day))


def provider_filename(program: Program, day: date) -> str:
    return f"provider-{program.code}-{day.isoformat()}.csv"


def _provider_query(program: Program, day: date):
    return (
        select(SignupRequest)
        .where(
            SignupRequest.program == program.code,
            SignupRequest.invited_at >= start_of_local_day(day),
            SignupRequest.invited_at < end_of_local_day(day),
        )
        .order_by(SignupRequest.invited_at, SignupRequest.reference_code)
    )


def _provider_row(signup: SignupRequest) -> tuple:
    return (
        signup.first_name,
        signup.last_name,
        signup.email,
        signup.preferred_language,
        signup.reference_code,
        _utc_timestamp(signup.invited_at),
        signup.enroll_by.isoformat() if signup.enroll_by else "",
    )


# --- The case-management report -------------------------------------------------------------

def export_case_report(start: date, end: date, progress: Progress | None = None) -> ExportResult:
    """One row per activity the case-management system records, for people who gave a case id.

    An activity is a change of state in the request's history (invited, enrolled, completed,
    removed) on a program-local day from `start` to `end`, both included. A second "invited" row
    written when someone asks for the invitation again is not a new activity. The last column is the
    local workforce area by the name the program file gives it (empty when no area covers the ZIP
    code), so each career center can pick out its own people.
    """
    if start > end:
        raise ValueError(f"The period starts ({start}) after it ends ({end}).")
    program = current_program()
    header = (program.case_id_name, "reference_code", "first_name", "last_name", "email", "activity",
              "activity_date", "local_area")
    rows = (
        (
            signup.case_id,
            signup.reference_code,
            signup.first_name,
            signup.last_name,
            signup.email,
            program.case_activities[event.to_state],
            local_date(event.created_at).isoformat(),
            program.area_name(signup.local_area),
        )
        for event, signup in db.session.execute(_case_report_query(program, start, end))
    )
    content, row_count = _csv_text(header, rows, progress)
    return _save(CASE_REPORT, case_report_filename(program, start, end), start, end, content, row_count)


def count_case_report_rows(start: date, end: date) -> int:
    """How many rows `export_case_report(start, end)` will write (for a progress bar)."""
    return _count(_case_report_query(current_program(), start, end))


def case_report_filename(program: Program, start: date, end: date) -> str:
    return f"case-report-{program.code}-{start.isoformat()}-to-{end.isoformat()}.csv"


def _case_report_query(program: Program, start: date, end: date):
    return (
        select(RequestEvent, SignupRequest)
        .join(SignupRequest, RequestEvent.request_id == SignupRequest.id)
        .where(
            SignupRequest.program == program.code,
            SignupRequest.case_id.is_not(None),
            SignupRequest.case_id != "",
            RequestEvent.to_state.in_(CASE_ACTIVITY_STATES),
            or_(RequestEvent.from_state.is_(None), RequestEvent.from_state != RequestEvent.to_state),
            RequestEvent.created_at >= start_of_local_day(start),
            RequestEvent.created_at < end_of_local_day(end),
        )
        .order_by(RequestEvent.created_at, RequestEvent.id)
    )


# --- Files staff download -------------------------------------------------------------------

def list_export_files() -> list[ExportFile]:
    """Every file made, newest first, without its content (a year of files is a lot of text)."""
    return list(db.session.scalars(
        select(ExportFile).options(defer(ExportFile.content)).order_by(ExportFile.created_at.desc(),
                                                                       ExportFile.id.desc())
    ))


def find_export_file(file_id: int) -> ExportFile | None:
    return db.session.get(ExportFile, file_id)


# --- Shared ---------------------------------------------------------------------------------

def _csv_text(header: Sequence[str], rows: Iterable[Sequence], progress: Progress | None) -> tuple[str, int]:
    """The CSV text (RFC 4180: quoted where needed, CRLF line ends) and how many rows it has.

    Every cell of every file goes through `spreadsheet_cell`, whatever its column.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_cell(value) for value in header])
    row_count = 0
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
        row_count += 1
        if progress is not None:
            progress(1)
    return buffer.getvalue(), row_count


def spreadsheet_cell(value: str | None) -> str:
    """A cell that a spreadsheet shows as the text it is: "=cmd|' /c calc'!A0" would run as a formula.

    A leading apostrophe makes Excel, LibreOffice and Google Sheets read the cell as text (OWASP's
    advice for CSV injection). Applied to every column, emails included: an address may start with
    "=" or "@" and still be valid.
    """
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _utc_timestamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def _save(kind: str, filename: str, start: date, end: date, content: str, row_count: int) -> ExportResult:
    """Store the file under its name: insert it, replace a different one, or leave an equal one alone.

    Two processes making the same file at once both try the insert; the unique filename refuses
    the second, which then compares its content with the row the first one saved.
    """
    for _attempt in range(2):
        stored = db.session.scalar(select(ExportFile).where(ExportFile.filename == filename))
        if stored is not None:
            break
        now = utcnow()
        stored = ExportFile(kind=kind, filename=filename, period_start=start, period_end=end, row_count=row_count,
                            content=content, created_at=now, updated_at=now)
        db.session.add(stored)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return ExportResult(stored.id, filename, ExportStatus.CREATED, row_count, content)
    else:  # pragma: no cover - the row we collided with was deleted in between
        raise RuntimeError(f"Could not store {filename}")

    if stored.content == content:
        return ExportResult(stored.id, filename, ExportStatus.UNCHANGED, row_count, content)
    stored.content = content
    stored.row_count = row_count
    stored.updated_at = utcnow()
    db.session.commit()
    return ExportResult(stored.id, filename, ExportStatus.UPDATED, row_count, content)
