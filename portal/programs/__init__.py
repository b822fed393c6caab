"""Programs: which state's rules, seats, dates and follow-up schedule apply, read from a TOML file.

`ny` and `ma` ship here; PORTAL_PROGRAM may also name the path of a program file of your own.
A program file is checked when it is loaded, so a wrong date order stops the app at start-up
rather than surprising an applicant months later.
"""

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from flask import current_app

PROGRAMS_DIR = Path(__file__).parent


class ProgramFileError(ValueError):
    """The program file is missing something or contradicts itself."""


@dataclass(frozen=True)
class EligibilityRules:
    eligible: frozenset[str]
    eligible_with_layoff_notice: frozenset[str]
    needs_review: frozenset[str]
    agency_staff_excluded: bool


@dataclass(frozen=True)
class FollowUpSchedule:
    """When reminders and removals happen, in days."""

    #: Reminders to someone who has not accepted the invitation, this many days after it.
    not_accepted_reminder_days: tuple[int, ...]
    #: A reminder this many days before the person's join-by date.
    enroll_by_warning_days: int
    #: A reminder after this many days without activity in the courses...
    inactivity_reminder_days: int
    #: ...and removal (the seat goes to the next person) after this many.
    inactivity_removal_days: int


@dataclass(frozen=True)
class SeatGuard:
    """Sign-ups faster than this are taken for a script: new approved requests wait for a person."""

    max_signups: int
    window_minutes: int


@dataclass(frozen=True)
class ProgramNames:
    """The names people see, in one language: who runs the program, what it is called, who emails."""

    agency: str
    program: str
    #: The display name of the emails' From address (MAIL_DEFAULT_SENDER gives the address).
    sender: str
    #: Where people get help in person ("career center", "MassHire Career Center").
    career_center: str
    #: When the help line answers, in words; empty when the program does not say.
    help_hours: str = ""


@dataclass(frozen=True)
class HelpPageFacts:
    """What the program itself says about its courses, for the help page: a question is shown only
    when the program file answers it."""

    #: A few subjects, in each language ({"en": ..., "es": ...}).
    topics: dict
    #: Roughly how many courses there are (0: the program does not say).
    course_count: int = 0
    #: The provider's own list of courses (to look at, not to sign up through).
    catalog_url: str = ""
    #: "free": certificates cost nothing; "some_cost": most are free, some from other organizations cost money.
    certificates: str = ""
    #: False: the program says no degree or college credit comes with it; None: it does not say.
    degree_or_credit: bool | None = None
    #: Someone who stops a course may start it again at no cost.
    restart_course_free: bool = False
    #: There is no limit to how many courses one person takes.
    no_course_limit: bool = False
    #: The provider's accessibility statement, and whether every course video has captions.
    accessibility_url: str = ""
    captions: bool = False


CERTIFICATE_ANSWERS = ("", "free", "some_cost")


@dataclass(frozen=True)
class LocalArea:
    """One of the program's local workforce areas: the career centers that follow its people."""

    code: str
    name: str
    #: ZIP codes or their first digits ("122" covers 12200-12299); the longest that fits decides.
    zip_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    code: str
    case_id_name: str
    help_email: str
    #: The help line, as people dial it (e.g. "518-555-0142").
    help_phone: str
    #: Names per language ("en", "es").
    names: dict
    help_page: HelpPageFacts
    seat_cap: int
    #: The training provider, as applicants know it, and where its program for us starts.
    provider_name: str
    provider_join_url: str
    #: Days an invited person has to accept the invitation (never past `enroll_by`).
    enroll_within_days: int
    #: Last day licenses are issued; approved requests after it are told the program is closed.
    issue_by: date
    #: Last day anyone may accept an invitation.
    enroll_by: date
    #: Last day to finish courses.
    complete_by: date
    #: Access to the courses ends.
    program_ends: date
    #: Days after a request closed (or the program ended) that its personal data is kept.
    retention_days: int
    eligibility: EligibilityRules
    follow_up: FollowUpSchedule
    seat_guard: SeatGuard
    #: The activity names the case-management system knows, by the state that produces them.
    case_activities: dict
    #: The local workforce areas, by code, in the order the file gives them.
    local_areas: dict
    #: The reasons staff may give when they deny a request after review (codes of
    #: `portal.eligibility.REASONS`, whose words the applicant reads).
    staff_denial_reasons: tuple[str, ...]

    def names_in(self, language: str) -> ProgramNames:
        return self.names.get(language) or self.names["en"]

    @property
    def help_phone_link(self) -> str:
        """The help line as a tel: address (+1 and its digits)."""
        digits = "".join(character for character in self.help_phone if character.isdigit())
        return "tel:+" + (digits if digits.startswith("1") and len(digits) == 11 else "1" + digits)

    def area_for_zip(self, zip_code: str) -> str | None:
        """The code of the local area a ZIP code belongs to (the longest prefix that fits), or None."""
        best, best_length = None, 0
        for area in self.local_areas.values():
            for prefix in area.zip_prefixes:
                if len(prefix) > best_length and zip_code.startswith(prefix):
                    best, best_length = area.code, len(prefix)
        return best

    def area_name(self, code: str | None) -> str:
        area = self.local_areas.get(code) if code else None
        return area.name if area else ""

    def issues_licenses_on(self, day: date) -> bool:
        """Whether the program still gives out new licenses on this (program-local) day."""
        return day <= self.issue_by

    def enroll_by_for(self, invited_on: date) -> date:
        """The join-by date of an invitation issued on `invited_on`."""
        return min(invited_on + timedelta(days=self.enroll_within_days), self.enroll_by)


@cache
def load_program(name_or_path: str) -> Program:
    path = Path(name_or_path)
    if not path.suffix:
        path = PROGRAMS_DIR / f"{name_or_path}.toml"
    with path.open("rb") as file:
        data = tomllib.load(file)
    try:
        rules = data.pop("eligibility")
        follow_up = data.pop("follow_up")
        seat_guard = data.pop("seat_guard")
        names = {language: ProgramNames(**values) for language, values in data.pop("names").items()}
        program = Program(
            names=names,
            help_page=HelpPageFacts(**data.pop("help_page")),
            eligibility=EligibilityRules(
                eligible=frozenset(rules["eligible"]),
                eligible_with_layoff_notice=frozenset(rules["eligible_with_layoff_notice"]),
                needs_review=frozenset(rules["needs_review"]),
                agency_staff_excluded=rules["agency_staff_excluded"],
            ),
            follow_up=FollowUpSchedule(
                not_accepted_reminder_days=tuple(sorted(follow_up["not_accepted_reminder_days"])),
                enroll_by_warning_days=follow_up["enroll_by_warning_days"],
                inactivity_reminder_days=follow_up["inactivity_reminder_days"],
                inactivity_removal_days=follow_up["inactivity_removal_days"],
            ),
            seat_guard=SeatGuard(max_signups=seat_guard["max_signups"],
                                 window_minutes=seat_guard["window_minutes"]),
            case_activities=dict(data.pop("case_activities")),
            local_areas={code: LocalArea(code=code, name=area["name"], zip_prefixes=tuple(area["zip_prefixes"]))
                         for code, area in data.pop("local_areas").items()},
            staff_denial_reasons=tuple(data.pop("staff_denial_reasons")),
            **data,
        )
    except (KeyError, TypeError) as error:
        raise ProgramFileError(f"{path}: {error}") from error
    _check(program, path)
    return program


#: A retention shorter than this is surely a slip (days meant as years): reports, audits and appeals
#: need the records for a while after a request closes.
MINIMUM_RETENTION_DAYS = 90


#: Every program names itself in each language the portal speaks.
LANGUAGES = ("en", "es")


def _check(program: Program, path: Path) -> None:
    missing_names = [language for language in LANGUAGES if language not in program.names]
    if missing_names:
        raise ProgramFileError(f"{path}: [names.{missing_names[0]}] is missing (agency, program, sender, "
                               "career_center)")
    if bool(program.names["en"].help_hours) != bool(program.names["es"].help_hours):
        raise ProgramFileError(f"{path}: help_hours must be given in every language, or in none")
    if program.help_page.certificates not in CERTIFICATE_ANSWERS:
        raise ProgramFileError(f"{path}: help_page.certificates must be one of {CERTIFICATE_ANSWERS}")
    if set(program.help_page.topics) != set(LANGUAGES):
        raise ProgramFileError(f"{path}: help_page.topics needs the subjects in {', '.join(LANGUAGES)}")
    if len([character for character in program.help_phone if character.isdigit()]) not in (10, 11):
        raise ProgramFileError(f"{path}: help_phone must be a US phone number with its area code")
    retention = program.retention_days
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < MINIMUM_RETENTION_DAYS:
        raise ProgramFileError(f"{path}: retention_days must be a whole number of days, at least "
                               f"{MINIMUM_RETENTION_DAYS} (it is {retention!r})")
    dates = [program.issue_by, program.enroll_by, program.complete_by, program.program_ends]
    if dates != sorted(dates):
        raise ProgramFileError(f"{path}: dates must run issue_by ≤ enroll_by ≤ complete_by ≤ program_ends")
    follow_up = program.follow_up
    if follow_up.inactivity_reminder_days >= follow_up.inactivity_removal_days:
        raise ProgramFileError(f"{path}: inactivity_reminder_days must come before inactivity_removal_days")
    if any(day >= program.enroll_within_days for day in follow_up.not_accepted_reminder_days):
        raise ProgramFileError(f"{path}: not-accepted reminders must fall within enroll_within_days")
    guard = program.seat_guard
    if not all(type(value) is int and value > 0 for value in (guard.max_signups, guard.window_minutes)):
        raise ProgramFileError(f"{path}: seat_guard needs max_signups and window_minutes, whole numbers above 0")
    missing = {"invited", "enrolled", "completed", "removed"} - program.case_activities.keys()
    if missing:
        raise ProgramFileError(f"{path}: case_activities lacks {', '.join(sorted(missing))}")
    _check_local_areas(program, path)
    if not program.staff_denial_reasons:
        raise ProgramFileError(f"{path}: staff_denial_reasons needs at least one reason")


def _check_local_areas(program: Program, path: Path) -> None:
    seen: dict[str, str] = {}
    for area in program.local_areas.values():
        if not area.name or not area.zip_prefixes:
            raise ProgramFileError(f"{path}: local_areas.{area.code} needs a name and zip_prefixes")
        for prefix in area.zip_prefixes:
            if not (isinstance(prefix, str) and prefix.isascii() and prefix.isdigit() and 1 <= len(prefix) <= 5):
                raise ProgramFileError(f"{path}: local_areas.{area.code}: {prefix!r} is not the start of a ZIP code "
                                       "(1 to 5 digits, in quotes)")
            if prefix in seen:
                raise ProgramFileError(f"{path}: ZIP prefix {prefix} is in both local_areas.{seen[prefix]} and "
                                       f"local_areas.{area.code}")
            seen[prefix] = area.code


def current_program() -> Program:
    return load_program(current_app.config["PORTAL_PROGRAM"])
