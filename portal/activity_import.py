"""The provider's activity report: who joined, who is learning, who finished.

The provider sends a CSV with a header row naming (in any order and case, among other columns we
ignore) `email, enrolled_date, last_activity_date, progress, completed`. Each row moves a learner
forward only, invited → enrolled → active → completed, writing one history row per step, so the
case-management report sees every activity even when a learner went from invited to completed
between two reports.

All or nothing: every row is checked first and every problem is reported with its line number
(line 1 is the header); if there is one, nothing is applied. A file that was imported once changes
nothing when it is imported again. Completion does not give the seat back: the learner keeps
access to the courses until the program ends.

The provider gives days, not moments: a day is stored as the moment it begins in the program's
time zone, so it reads back as the same day.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from sqlalchemy import select

from portal.clock import local_date, program_today, start_of_local_day
from portal.extensions import db
from portal.identifiers import normalize_email
from portal.lifecycle import record_state_change
from portal.models import RequestState, SignupRequest, utcnow
from portal.programs import current_program

ACTOR = "activity import"
COLUMNS = ("email", "enrolled_date", "last_activity_date", "progress", "completed")
#: The way forward; a row never moves a request back along it.
PROGRESSION = (RequestState.INVITED, RequestState.ENROLLED, RequestState.ACTIVE, RequestState.COMPLETED)
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_YES = frozenset({"yes", "true", "1"})
_NO = frozenset({"", "no", "false", "0"})
_PERCENT = re.compile(r"(\d{1,3})(\.\d+)?\s*%?")
_LOOKUP_BATCH = 500


@dataclass
class ImportReport:
    source_name: str
    rows_read: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    #: "line 7: ..." for every problem; any error means nothing was applied.
    errors: list[str] = field(default_factory=list)
    #: Why rows were skipped.
    notes: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"{self.source_name}: {self.rows_read} rows read, {self.changed} changed, {self.unchanged} unchanged, "
                f"{self.skipped} skipped, {len(self.errors)} errors.")


@dataclass(frozen=True)
class _Row:
    line: int
    email: str
    enrolled_on: date | None = None
    last_active_on: date | None = None
    progress: int | None = None
    completed: bool = False
    completed_on: date | None = None


class _BadValue(ValueError):
    pass


def import_activity(text_or_file: str | bytes | IO, *, source_name: str,
                    progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check every row of the provider's activity CSV, then apply them all in one transaction, or none."""
    report = ImportReport(source_name)
    header, records = _read_csv(text_or_file, report)
    if report.errors:
        return report
    candidates = _requests_by_email(normalize_email(_value(cells, header, "email")) for _line, cells in records)

    planned: list[tuple[_Row, SignupRequest]] = []
    first_line_of: dict[str, int] = {}
    today = program_today()
    for line, cells in records:
        report.rows_read += 1
        email = normalize_email(_value(cells, header, "email"))
        email_is_usable = _check_email(line, email, report)
        row = _parse_row(line, email, header, cells, today, report)
        if email_is_usable and email in first_line_of:
            report.errors.append(f"line {line}: email {email} is also on line {first_line_of[email]} "
                                 "(one row per learner)")
        elif email_is_usable:
            first_line_of[email] = line
            signup = _learner(line, email, candidates.get(email, []), report)
            if signup is not None and row is not None:
                planned.append((row, signup))
        if progress is not None:
            progress(1)

    if report.errors:
        db.session.rollback()
        return report
    for row, signup in planned:
        if _apply(row, signup, reason=f"{source_name} line {row.line}"):
            report.changed += 1
        else:
            report.unchanged += 1
    db.session.commit()
    return report


def count_activity_rows(text: str | bytes) -> int:
    """How many rows (besides the header) `import_activity` will read (for a progress bar)."""
    _header, records = _read_csv(text, ImportReport(""))
    return len(records)


# --- Reading ----------------------------------------------------------------------------------

def _read_csv(text_or_file: str | bytes | IO, report: ImportReport) -> tuple[dict[str, int], list[tuple[int, list]]]:
    """The header (column name → position) and the non-blank rows with their line numbers."""
    text = text_or_file if isinstance(text_or_file, str | bytes) else text_or_file.read()
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            report.errors.append("line 1: the file is not UTF-8 text (save it as \"CSV UTF-8\")")
            return {}, []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        names = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        report.errors.append(f"line 1: the file is empty; the first line must name the columns {', '.join(COLUMNS)}")
        return {}, []
    except csv.Error as error:
        report.errors.append(f"line 1: cannot read the header row ({error})")
        return {}, []
    header: dict[str, int] = {}
    for position, name in enumerate(names):
        header.setdefault(name, position)
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        report.errors.append(f"line 1: the header row lacks the column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)} (it needs {', '.join(COLUMNS)})")
    twice = sorted({name for name in COLUMNS if names.count(name) > 1})
    if twice:
        report.errors.append(f"line 1: the header row names {', '.join(twice)} more than once")
    records = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((reader.line_num, cells))
    except csv.Error as error:
        report.errors.append(f"line {reader.line_num}: cannot read the row ({error})")
    return header, records


def _value(cells: list[str], header: dict[str, int], column: str) -> str:
    position = header[column]
    return cells[position].strip() if position < len(cells) else ""


def _check_email(line: int, email: str, report: ImportReport) -> bool:
    if not email:
        report.errors.append(f"line {line}: email is empty")
        return False
    if "@" not in email or any(character.isspace() for character in email):
        report.errors.append(f'line {line}: email "{email}" is not an email address')
        return False
    return True


def _parse_row(line: int, email: str, header: dict[str, int], cells: list[str], today: date,
               report: ImportReport) -> _Row | None:
    """The row's values, or None after adding its problems to the report."""
    errors = []

    def parse(column: str, parser):
        raw = _value(cells, header, column)
        try:
            return parser(column, raw, today)
        except _BadValue as error:
            errors.append(f"line {line}: {error}")
            return None

    enrolled_on = parse("enrolled_date", _parse_date)
    last_active_on = parse("last_activity_date", _parse_date)
    percent = parse("progress", _parse_progress)
    completion = parse("completed", _parse_completed)
    report.errors.extend(errors)
    if errors:
        return None
    completed, completed_on = completion
    return _Row(line, email, enrolled_on, last_active_on, percent, completed, completed_on)


def _parse_date(column: str, raw: str, today: date) -> date | None:
    if not raw:
        return None
    for date_format in DATE_FORMATS:
        try:
            day = datetime.strptime(raw, date_format).date()
        except ValueError:
            continue
        if day > today:
            raise _BadValue(f"{column} {raw} is in the future")
        return day
    raise _BadValue(f"{column} {raw} is not a date (use YYYY-MM-DD)")


def _parse_progress(column: str, raw: str, _today: date) -> int | None:
    if not raw:
        return None
    match = _PERCENT.fullmatch(raw)
    if match is None or float(match[1] + (match[2] or "")) > 100:
        raise _BadValue(f'{column} "{raw}" is not a number from 0 to 100')
    return round(float(match[1] + (match[2] or "")))


def _parse_completed(column: str, raw: str, today: date) -> tuple[bool, date | None]:
    """(completed?, on which day if the provider said)."""
    if raw.lower() in _NO:
        return False, None
    if raw.lower() in _YES:
        return True, None
    try:
        day = _parse_date(column, raw, today)
    except _BadValue as error:
        if any(character.isdigit() for character in raw) and not raw.isdigit():
            raise  # meant as a date: say what is wrong with it
        raise _BadValue(f'{column} "{raw}" is not yes, no or a date (YYYY-MM-DD)') from error
    return True, day


# --- Matching -------------------------------------------------------------------------------

def _requests_by_email(emails) -> dict[str, list[SignupRequest]]:
    """The program's requests of these addresses, latest first, locked until we commit or roll back."""
    program = current_program()
    wanted = sorted({email for email in emails if email})
    found: dict[str, list[SignupRequest]] = {}
    for start in range(0, len(wanted), _LOOKUP_BATCH):
        batch = wanted[start:start + _LOOKUP_BATCH]
        query = (
            select(SignupRequest)
            .where(SignupRequest.program == program.code, SignupRequest.email.in_(batch))
            .order_by(SignupRequest.created_at.desc(), SignupRequest.id.desc())
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for signup in db.session.scalars(query):
            found.setdefault(signup.email, []).append(signup)
    return found


def _learner(line: int, email: str, requests: list[SignupRequest], report: ImportReport) -> SignupRequest | None:
    """The request the row is about: the person's latest, if it holds (or held) a license."""
    latest = requests[0] if requests else None
    if latest is not None and latest.state in PROGRESSION:
        return latest
    if latest is not None and latest.state == RequestState.REMOVED:
        when = f" on {local_date(latest.removed_at).isoformat()}" if latest.removed_at else ""
        report.skipped += 1
        report.notes.append(f"line {line}: skipped {email}: the license was taken back{when}")
        return None
    if any(signup.invited_at is not None for signup in requests):
        report.skipped += 1
        report.notes.append(f"line {line}: skipped {email}: the license was taken back; a new request "
                            f"{latest.reference_code} is {latest.state}")
        return None
    report.errors.append(f"line {line}: no learner with email {email} in this program")
    return None


# --- Applying -------------------------------------------------------------------------------

def _apply(row: _Row, signup: SignupRequest, *, reason: str) -> bool:
    """Bring the request up to what the row says; whether anything changed."""
    changed = False
    if row.enrolled_on and (signup.enrolled_at is None or local_date(signup.enrolled_at) != row.enrolled_on):
        signup.enrolled_at = start_of_local_day(row.enrolled_on)
        changed = True
    if row.last_active_on:
        last_active = start_of_local_day(row.last_active_on)
        if signup.last_activity_at is None or last_active > signup.last_activity_at:
            signup.last_activity_at = last_active
            changed = True
    if row.progress is not None and row.progress != signup.progress_percent:
        signup.progress_percent = row.progress
        changed = True
    if row.completed and signup.completed_at is None:
        completed_on = row.completed_on or row.last_active_on
        signup.completed_at = start_of_local_day(completed_on) if completed_on else utcnow()
        changed = True

    current = PROGRESSION.index(RequestState(signup.state))
    for state in PROGRESSION[current + 1:PROGRESSION.index(_state_reported(row)) + 1]:
        record_state_change(signup, state, actor=ACTOR, reason=reason)
        changed = True
    return changed


def _state_reported(row: _Row) -> RequestState:
    if row.completed:
        return RequestState.COMPLETED
    if row.last_active_on or (row.progress or 0) > 0:
        return RequestState.ACTIVE
    if row.enrolled_on:
        return RequestState.ENROLLED
    return RequestState.INVITED
