"""Realistic fake requests, for trying the help-desk pages and for benchmarks (never in production).

A million requests must load in minutes, so rows are written in bulk with SQLAlchemy Core (COPY on
PostgreSQL, one executemany per table on SQLite), a batch per transaction, never as ORM objects. They
still look like what the portal writes itself: every request has the columns its state has
(`invited_at`, `enroll_by` and a seat for the invited, `failure_reason` for the failed, ...), the
history row of each step and the emails it was sent, and the seat pool counts exactly the requests
that hold a seat. Requests arrive in time order over the last days, so the seats go to the first
ones and the rest wait, as on a launch day.
"""

import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from faker import Faker
from sqlalchemy import ARRAY, Connection, Table, bindparam, func, insert, select, text, update

from portal.clock import local_date, start_of_local_day
from portal.database import lift_timeouts
from portal.eligibility import Outcome, decide_eligibility
from portal.extensions import db
from portal.identifiers import mailbox_key, new_reference_code, searchable_name
from portal.models import (
    EmailStatus,
    EventKind,
    OutboundEmail,
    RequestEvent,
    RequestState,
    SeatPool,
    SignupRequest,
    StaffUser,
    utcnow,
)
from portal.notifications import JOIN_LINK_CUT
from portal.programs import Program, current_program

#: Requests per transaction: big enough for COPY to pay, small enough to keep memory flat.
BATCH_SIZE = 10_000
DEMO_ACTOR = "demo data"

#: What people answer (employment status, weight, share with a layoff notice); the program's own
#: rules then decide, as for a real sign-up.
_EMPLOYMENT = [("laid_off", 45, 0.1), ("unemployed", 30, 0.0), ("long_term_unemployed", 8, 0.0),
               ("underemployed", 7, 0.5), ("employed", 5, 0.4), ("return_to_work_date", 4, 0.0)]
#: What happens to a request that got a seat (its current state, weight).
_AFTER_INVITATION = [("invited", 50), ("enrolled", 24), ("active", 20), ("failed", 4), ("stuck", 2)]
_DOMAINS = [("example.com", 40), ("example.net", 20), ("example.org", 15), ("correo.example", 15),
            ("mail.example.com", 10)]
#: New York's area codes, for phone numbers the way `portal.forms.normalize_phone` stores them.
_AREA_CODES = ("212", "315", "347", "516", "518", "585", "607", "631", "646", "716", "718", "845", "914", "929")
BOUNCE = "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
STUCK_TEXT = ("The worker stopped while sending this email; it may or may not have arrived. "
              "It was not sent again automatically.")


@dataclass
class DemoReport:
    """What `add_demo_requests` wrote."""

    requests: int = 0
    events: int = 0
    emails: int = 0
    seats: int = 0
    states: Counter = field(default_factory=Counter)


def add_demo_requests(count: int, progress: Callable[[int], None] = lambda _n: None, seed: int | None = None,
                      days: int = 5) -> DemoReport:
    """Add `count` requests that arrived over the last `days` days (the same `seed`, the same people)."""
    program = current_program()
    rng = random.Random(seed)
    writer = _DemoWriter(program, rng, seed, count, days)
    report = DemoReport()
    with db.engine.connect() as connection:
        lift_timeouts(connection)
        writer.staff_ids = _staff_ids(connection)
        set_aside = _set_indexes_aside(connection) if _rebuild_indexes(connection, count) else []
        for first in range(0, count, BATCH_SIZE):
            size = min(BATCH_SIZE, count - first)
            writer.write_batch(connection, range(first, first + size), report)
            if not set_aside:
                connection.commit()
            progress(size)
        for definition in set_aside:
            connection.exec_driver_sql(definition)
        connection.commit()
    return report


#: From this many new requests on PostgreSQL, more than the table holds, the load runs in one
#: transaction with the secondary indexes dropped and built again at the end, as pg_restore does:
#: keeping a dozen indexes (random reference codes, emails, trigrams) up to date row by row is most
#: of the time of a big load, building them once is a sort.
REBUILD_INDEXES_FROM = 100_000
_BULK_TABLES = ("signup_requests", "request_events", "outbound_emails")


def _rebuild_indexes(connection: Connection, count: int) -> bool:
    if connection.dialect.name != "postgresql" or count < REBUILD_INDEXES_FROM:
        return False
    return count > (connection.scalar(select(func.count()).select_from(SignupRequest)) or 0)


def _set_indexes_aside(connection: Connection) -> list[str]:
    """Drop the indexes of the bulk tables that no constraint needs (in this transaction: if the
    load fails, they are back), and return how to build each again, exactly as it was."""
    indexes = connection.execute(text("""
        SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename = ANY(:tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint
                          WHERE conname = indexname AND connamespace = current_schema()::regnamespace)
        ORDER BY indexname"""), {"tables": list(_BULK_TABLES)}).all()
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for name, _definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes]


def _staff_ids(connection: Connection) -> list[int]:
    """The help-desk accounts that "entered" some requests for customers; a disabled demo account
    (no one can sign in with it) when there is none yet."""
    ids = list(connection.scalars(select(StaffUser.id).where(StaffUser.is_enabled.is_(True)).order_by(StaffUser.id)))
    if ids:
        return ids
    demo_email = "demo.desk@labor.example.gov"
    existing = connection.scalar(select(StaffUser.id).where(StaffUser.email == demo_email))
    if existing is None:
        existing = connection.scalar(insert(StaffUser).values(
            email=demo_email, password_hash="!demo account, no password", role="helpdesk", is_enabled=False,
            created_at=utcnow(), session_token=secrets.token_urlsafe(32), areas=[],
        ).returning(StaffUser.id))
    return [existing]


class _DemoWriter:
    def __init__(self, program: Program, rng: random.Random, seed: int | None, count: int, days: int):
        self.program = program
        self.rng = rng
        self.count = count
        self.now = utcnow()
        self.start = self.now - timedelta(days=days)
        self.span = (self.now - self.start).total_seconds()
        self.staff_ids: list[int] = []
        self.names = {language: _name_pool(locale, seed) for language, locale in (("en", "en_US"), ("es", "es_MX"))}
        self.employment = [(status, notice) for status, _weight, notice in _EMPLOYMENT]
        self.employment_weights = [weight for _status, weight, _notice in _EMPLOYMENT]
        self.fates, self.fate_weights = zip(*_AFTER_INVITATION, strict=True)
        self.domains, self.domain_weights = zip(*_DOMAINS, strict=True)
        self.area_for_zip = cache(program.area_for_zip)
        self.enroll_by_for = cache(program.enroll_by_for)

    # --- One batch, one transaction --------------------------------------------------------------

    def write_batch(self, connection: Connection, numbers: range, report: DemoReport) -> None:
        seats_left = self._seats_left(connection)
        ids = _new_ids(connection, SignupRequest.__table__, len(numbers))
        codes = self._reference_codes(connection, len(numbers))
        requests, events, emails = [], [], []
        holders = 0
        for request_id, code, number in zip(ids, codes, numbers, strict=True):
            signup = self._request(request_id, code, number)
            history, outbox, takes_seat = self._life(signup, seats_left > holders)
            holders += takes_seat
            requests.append(signup)
            events += history
            emails += outbox
            report.states[signup["state"]] += 1
        _write(connection, SignupRequest.__table__, requests)
        _write(connection, RequestEvent.__table__, events)
        _write(connection, OutboundEmail.__table__, emails)
        if holders:
            connection.execute(update(SeatPool).where(SeatPool.program == self.program.code)
                               .values(seats_taken=SeatPool.seats_taken + holders))
        report.requests += len(requests)
        report.events += len(events)
        report.emails += len(emails)
        report.seats += holders

    def _seats_left(self, connection: Connection) -> int:
        """The program's free seats, its pool row locked until this batch commits (PostgreSQL)."""
        query = select(SeatPool.seats_taken).where(SeatPool.program == self.program.code)
        taken = connection.scalar(query.with_for_update())
        if taken is None:
            connection.execute(insert(SeatPool).values(program=self.program.code, seats_taken=0))
            taken = 0
        return max(self.program.seat_cap - taken, 0)

    def _reference_codes(self, connection: Connection, count: int) -> list[str]:
        """New codes, none already taken (by an earlier batch or run: with a million, a clash is likely)."""
        codes: list[str] = []
        while len(codes) < count:
            drawn = {new_reference_code(self.rng.choice) for _ in range(count - len(codes))} - set(codes)
            taken = _taken_codes(connection, sorted(drawn))
            codes += sorted(drawn - taken)
        self.rng.shuffle(codes)
        return codes

    # --- One request ----------------------------------------------------------------------------

    def _request(self, request_id: int, code: str, number: int) -> dict:
        rng = self.rng
        language = "es" if rng.random() < 0.3 else "en"
        first_names, last_names = self.names[language]
        first_name = rng.choice(first_names)
        last_name = rng.choice(last_names) + (f" {rng.choice(last_names)}" if language == "es" and rng.random() < 0.4
                                              else "")
        created_at = self.start + timedelta(seconds=(number + rng.random()) * self.span / self.count)
        employment_status, notice_share = rng.choices(self.employment, self.employment_weights)[0]
        email = self._email(first_name, last_name, request_id)
        zip_code = f"{rng.randint(10001, 14925)}"
        case_id = None
        if rng.random() < 0.5:
            case_id = f"NY{rng.randint(1_000_000, 9_999_999)}" if rng.random() < 0.3 else str(
                rng.randint(10_000_000, 99_999_999))
        return {
            "id": request_id,
            "reference_code": code,
            "program": self.program.code,
            "state": RequestState.SUBMITTED.value,
            "first_name": first_name,
            "last_name": last_name,
            "search_name": " " + " ".join(_words(first_name) + _words(last_name)),
            "email": email,
            "email_key": mailbox_key(email),
            "phone": self._phone() if rng.random() < 0.45 else None,
            "zip_code": zip_code,
            "local_area": self.area_for_zip(zip_code),
            "preferred_language": language,
            "employment_status": employment_status,
            "covid_related": rng.choice(("yes", "no", "not_sure")),
            "layoff_notice": rng.random() < notice_share,
            "case_id": case_id,
            "agency_staff": rng.random() < 0.01,
            "attested_at": created_at,
            "decision_reason": None,
            "hold_reason": None,
            "failure_reason": None,
            "created_at": created_at,
            "updated_at": created_at,
            "invited_at": None,
            "enroll_by": None,
            "holds_seat": False,
            "enrolled_at": None,
            "last_activity_at": None,
            "progress_percent": None,
            "completed_at": None,
            "removed_at": None,
            "removal_reason": None,
            "entered_by_staff_id": rng.choice(self.staff_ids) if rng.random() < 0.02 else None,
            "join_link_version": 0,
        }

    def _email(self, first_name: str, last_name: str, request_id: int) -> str:
        """The address as people type them, lower-cased as the portal stores it; the request id makes
        it unique (one open request per mailbox)."""
        first, last = _words(first_name), _words(last_name)
        style = self.rng.random()
        if style < 0.5:
            local = f"{first[0]}.{last[0]}{request_id}"
        elif style < 0.8:
            local = f"{first[0][0]}{''.join(last)}{request_id}"
        else:
            local = f"{''.join(first)}_{last[-1]}{request_id}"
        return f"{local}@{self.rng.choices(self.domains, self.domain_weights)[0]}"

    def _phone(self) -> str:
        rng = self.rng
        exchange = rng.randint(200, 999)
        if exchange % 100 == 11:  # N11 is not an exchange
            exchange += 1
        return f"+1{rng.choice(_AREA_CODES)}{exchange}{rng.randint(0, 9999):04d}"

    # --- What happened to it --------------------------------------------------------------------

    def _life(self, signup: dict, seat_free: bool) -> tuple[list[dict], list[dict], bool]:
        """The request's history and emails, its columns brought to its state; whether it took a seat."""
        rng = self.rng
        created_at = signup["created_at"]
        events: list[dict] = []
        emails: list[dict] = []
        moment = created_at

        def step(to_state: str, actor: str, reason: str | None = None, staff_id: int | None = None,
                 seconds: float = 1.0) -> None:
            nonlocal moment
            moment = min(moment + timedelta(seconds=seconds), self.now)
            events.append(_event(signup, to_state, actor, reason, staff_id, moment))
            signup["state"] = to_state
            signup["updated_at"] = moment

        staff_id = signup["entered_by_staff_id"]
        if staff_id is None:
            step("submitted", "applicant", seconds=0)
        else:
            step("submitted", "staff", "entered by staff for the customer, who gave them the attestation",
                 staff_id=staff_id, seconds=0)
        decision = decide_eligibility(self.program.eligibility, employment_status=signup["employment_status"],
                                      layoff_notice=signup["layoff_notice"], agency_staff=signup["agency_staff"])
        signup["decision_reason"] = decision.reason
        age = self.now - created_at
        if age < timedelta(seconds=2) and rng.random() < 0.5:
            return events, emails, False  # still being decided
        if decision.outcome == Outcome.APPROVED and staff_id is None and rng.random() < 0.01:
            signup["hold_reason"] = "seat_guard"
            guard = self.program.seat_guard
            step("needs_review", "seat guard", f"The rules approve it ({decision.reason}), but it waits for a "
                 f"person. Seat guard: {guard.max_signups + rng.randint(1, 500)} sign-ups in the last "
                 f"{guard.window_minutes} minutes, more than the {guard.max_signups} any launch has seen; possibly "
                 "a script. Check that this is a real person before approving.")
        else:
            step(decision.outcome.value, "eligibility rules", decision.reason)
        emails.append(self._email_row(signup, "not_eligible" if decision.outcome == Outcome.DENIED else "confirmation",
                                      moment))
        if signup["state"] != "approved":
            return events, emails, False
        if age < timedelta(minutes=3) and rng.random() < 0.8 or rng.random() < 0.002:
            return events, emails, False  # waiting for the activation job (a few got stuck)
        if not seat_free:
            step("waitlisted", "activation job", "no seats left", seconds=rng.uniform(1, 30))
            emails.append(self._email_row(signup, "waitlisted", moment))
            return events, emails, False
        step("invited", "activation job", seconds=rng.uniform(1, 30))
        signup["holds_seat"] = True
        signup["invited_at"] = moment
        signup["enroll_by"] = self.enroll_by_for(local_date(moment))
        fate = rng.choices(self.fates, self.fate_weights)[0]
        invitation = self._email_row(signup, "invitation", moment, status={"failed": "failed", "stuck": "sending"}
                                     .get(fate, "sent"))
        emails.append(invitation)
        if fate == "failed":
            signup["failure_reason"] = f"Invitation email could not be delivered: {invitation['last_error']}"
            step("failed", "email job", signup["failure_reason"], seconds=rng.uniform(2, 60))
        elif fate in ("enrolled", "active"):
            enrolled_on = local_date(moment) + timedelta(days=rng.choice((0, 1, 1, 2, 3)))
            if start_of_local_day(enrolled_on) + timedelta(hours=20) < self.now:
                self._enrolment(signup, enrolled_on, fate == "active", step)
        return events, emails, True

    def _enrolment(self, signup: dict, enrolled_on: date, active: bool, step) -> None:
        """What the provider's activity report of the next morning said (the activity import)."""
        report = f"activity-{(enrolled_on + timedelta(days=1)).isoformat()}.csv line {self.rng.randint(2, 40000)}"
        signup["enrolled_at"] = start_of_local_day(enrolled_on)
        step("enrolled", "activity import", report,
             seconds=max((start_of_local_day(enrolled_on) + timedelta(hours=30) - signup["updated_at"]).total_seconds(),
                         1))
        if active:
            signup["last_activity_at"] = start_of_local_day(enrolled_on)
            signup["progress_percent"] = self.rng.randint(1, 40)
            step("active", "activity import", report, seconds=0)

    def _email_row(self, signup: dict, kind: str, moment: datetime, status: str = "sent") -> dict:
        rng = self.rng
        attempted = min(moment + timedelta(seconds=rng.uniform(0.5, 20)), self.now)
        if status == "sent" and attempted >= self.now:
            status = "pending"  # the worker has not got to it yet
        row = {
            "request_id": signup["id"],
            "kind": kind,
            "idempotency_key": f"{kind}-{signup['reference_code']}",
            "status": status,
            "attempts": 0 if status == EmailStatus.PENDING else 1,
            "last_error": None,
            "created_at": moment,
            "last_attempt_at": None if status == EmailStatus.PENDING else attempted,
            "sent_at": None,
            "to_address": None,
            "sent_text": None,
            "outcome_unknown": False,
        }
        if status == EmailStatus.SENT:
            row.update(sent_at=attempted, to_address=signup["email"], sent_text=_sent_text(signup, kind))
        elif status == EmailStatus.FAILED:
            row["last_error"] = BOUNCE.format(address=signup["email"])
        elif status == EmailStatus.SENDING:  # the worker died in the SMTP conversation
            row["last_attempt_at"] = max(self.now - timedelta(minutes=rng.randint(20, 180)), moment)
        return row


@cache
def _words(name: str) -> list[str]:
    """`searchable_name`'s words of one name (the pools repeat names: worked out once each)."""
    return searchable_name(name).split()


def _event(signup: dict, to_state: str, actor: str, reason: str | None, staff_id: int | None,
           moment: datetime) -> dict:
    return {"request_id": signup["id"], "kind": EventKind.STATE_CHANGE.value,
            "from_state": None if to_state == "submitted" else signup["state"], "to_state": to_state,
            "actor": actor, "staff_id": staff_id, "reason": reason, "created_at": moment}


_TEXTS = {
    ("en", "confirmation"): "Hello {first},\n\nWe have your request for free online training. Your reference code is "
                            "{code}. We will email you again soon.\n",
    ("es", "confirmation"): "Hola, {first}:\n\nRecibimos su solicitud de cursos gratuitos en línea. Su código de "
                            "referencia es {code}. Le escribiremos pronto.\n",
    ("en", "not_eligible"): "Hello {first},\n\nWe cannot give you free online courses through this program. Your "
                            "reference code is {code}.\n",
    ("es", "not_eligible"): "Hola, {first}:\n\nNo podemos darle cursos gratuitos en línea por medio de este programa. "
                            "Su código de referencia es {code}.\n",
    ("en", "waitlisted"): "Hello {first},\n\nAll licenses are taken for now. You are on the waitlist ({code}); we "
                          "will email you when a license is free.\n",
    ("es", "waitlisted"): "Hola, {first}:\n\nPor ahora no quedan licencias. Está en la lista de espera ({code}); le "
                          "escribiremos cuando haya una licencia libre.\n",
    ("en", "invitation"): "Hello {first},\n\nYour free license is ready. Join here: {link}\nJoin by {enroll_by}. "
                          "Reference code: {code}.\n",
    ("es", "invitation"): "Hola, {first}:\n\nSu licencia gratuita está lista. Únase aquí: {link}\nÚnase antes del "
                          "{enroll_by}. Código de referencia: {code}.\n",
}


def _sent_text(signup: dict, kind: str) -> str:
    """The text part as staff keep it (`portal.notifications.text_as_staff_see_it`: no live link)."""
    return _TEXTS[signup["preferred_language"], kind].format(
        first=signup["first_name"], code=signup["reference_code"], link=JOIN_LINK_CUT, enroll_by=signup["enroll_by"])


def _name_pool(locale: str, seed: int | None, size: int = 3000) -> tuple[list[str], list[str]]:
    """First and last names drawn once from Faker (accents and all, for es_MX), then picked from:
    Faker per row would be a third of the run."""
    faker = Faker(locale)
    faker.seed_instance(seed)
    return [faker.first_name() for _ in range(size)], [faker.last_name() for _ in range(size)]


def _taken_codes(connection: Connection, codes: list[str]) -> set[str]:
    column = SignupRequest.reference_code
    if connection.dialect.name == "postgresql":  # one array parameter, not ten thousand
        condition = column == func.any(bindparam("codes", type_=ARRAY(column.type)))
    else:
        condition = column.in_(bindparam("codes", expanding=True))
    return set(connection.scalars(select(column).where(condition), {"codes": codes}))


def _new_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """Ids for requests, written with their history and emails in one go: from the table's sequence
    on PostgreSQL, after the largest one on SQLite (one writer at a time there)."""
    if not count:
        return []
    if connection.dialect.name == "postgresql":  # one array, not a row per id
        return connection.scalar(
            text("SELECT array_agg(nextval(pg_get_serial_sequence(:table, 'id'))) FROM generate_series(1, :count)"),
            {"table": table.name, "count": count})
    largest = connection.scalar(select(func.max(table.c.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def _write(connection: Connection, table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(_values(row, columns))


def _values(row: dict, columns: list[str]) -> Iterable:
    return [row[column] for column in columns]
