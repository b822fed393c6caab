"""What help-desk staff look for: the work queues, filters, search, and one request.

Lists are read a page at a time by keyset (the sign-up time and id of the last row shown), never by
offset, and never capped: following "next page" returns every row exactly once, however many
sign-ups arrive meanwhile (a new one lands at the end of an oldest-first list, or before the first
page of a newest-first one). Every query goes through `visible_to`, so a staff member limited to some
local areas never sees a request of another.
"""

import enum
import heapq
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, false, func, literal, or_, select, tuple_
from sqlalchemy.orm import contains_eager

from portal.clock import end_of_local_day, start_of_local_day
from portal.extensions import db
from portal.forms import normalize_phone
from portal.helpdesk.deliveries import STUCK_AFTER
from portal.identifiers import (
    REFERENCE_ALPHABET,
    normalize_case_id,
    normalize_email,
    normalize_reference_code,
    search_words,
)
from portal.models import (
    EmailStatus,
    OutboundEmail,
    RequestState,
    SignupRequest,
    StaffUser,
    utcnow,
)
from portal.programs import current_program
from portal.signups import AWAITING_ANSWER


def activation_deadline(now: datetime | None = None) -> datetime:
    """Requests created before this moment and still pending have broken the promise."""
    return (now or utcnow()) - timedelta(hours=current_app.config["ACTIVATION_SLA_HOURS"])


def visible_to(query: Select, staff: StaffUser) -> Select:
    """Only the requests of the staff member's local areas (all of them for admins and unlimited staff)."""
    areas = staff.limited_to_areas
    return query if areas is None else query.where(SignupRequest.local_area.in_(areas))


def request_for_staff(reference_code: str, staff: StaffUser) -> SignupRequest | None:
    """The request with this code, if this staff member may see it (None: the page answers 404).

    The one door to a request for every staff page and action, so what limits a staff member
    (local areas) is decided here once.
    """
    query = select(SignupRequest).where(SignupRequest.reference_code == normalize_reference_code(reference_code))
    return db.session.scalar(visible_to(query, staff))


# --- Filters ----------------------------------------------------------------------------------

class EnteredBy(enum.StrEnum):
    STAFF = "staff"
    APPLICANT = "applicant"


@dataclass(frozen=True)
class Filters:
    """What a list is narrowed to; None means "any"."""

    state: str | None = None
    language: str | None = None
    area: str | None = None
    signed_up_from: date | None = None
    signed_up_to: date | None = None
    entered_by: EnteredBy | None = None

    def apply(self, query: Select) -> Select:
        if self.state:
            query = query.where(SignupRequest.state == self.state)
        if self.language:
            query = query.where(SignupRequest.preferred_language == self.language)
        if self.area:
            query = query.where(SignupRequest.local_area == self.area)
        if self.signed_up_from:
            query = query.where(SignupRequest.created_at >= start_of_local_day(self.signed_up_from))
        if self.signed_up_to:
            query = query.where(SignupRequest.created_at < end_of_local_day(self.signed_up_to))
        if self.entered_by == EnteredBy.STAFF:
            query = query.where(SignupRequest.entered_by_staff_id.is_not(None))
        elif self.entered_by == EnteredBy.APPLICANT:
            query = query.where(SignupRequest.entered_by_staff_id.is_(None))
        return query


# --- Pages ------------------------------------------------------------------------------------

def list_count_limit() -> int:
    """Lists count their rows up to this many (ADMIN_COUNT_LIMIT), then say "more than": an exact
    count of a million rows reads them all (half a second on PostgreSQL), a page reads fifty."""
    return current_app.config["ADMIN_COUNT_LIMIT"]


def capped_count(queries: list[Select], limit: int | None = None) -> int:
    """How many rows the `queries` (which never overlap) have, counted no further than `limit`
    (default `list_count_limit()`) + 1."""
    limit = (limit or list_count_limit()) + 1
    total = 0
    for query in queries:
        first_rows = query.with_only_columns(literal(1)).order_by(None).limit(limit - total).subquery()
        total += db.session.scalar(select(func.count()).select_from(first_rows))
        if total >= limit:
            break
    return total


@dataclass(frozen=True)
class Page:
    rows: list
    #: How many rows the whole list has (every page), with the same filters; past `count_limit`,
    #: that limit + 1 (the page says "more than").
    total: int
    count_limit: int
    #: The cursor of the next page, or None on the last one.
    next_cursor: str | None
    #: Rows shown before this page.
    shown_before: int = 0


def _cursor(moment: datetime, row_id: int, shown: int) -> str:
    return f"{moment.isoformat()}~{row_id}~{shown}"


def parse_cursor(text: str | None) -> tuple[datetime, int, int] | None:
    """The position a cursor names; None (the first page) for anything that is not a cursor."""
    try:
        moment, row_id, shown = (text or "").split("~")
        return datetime.fromisoformat(moment), int(row_id), int(shown)
    except ValueError:
        return None


def keyset_page(query: Select | list[Select], order_column, id_column, *, cursor: str | None, oldest_first: bool,
                page_size: int | None = None, count_limit: int | None = None) -> Page:
    """One page of `query`, ordered by (`order_column`, `id_column`), after `cursor`.

    `query` may be a list of queries for rows that never overlap (a work queue of several states):
    each is read in its own index order, a page's worth at most, and the pages are merged here. One
    query with OR between the states would make the database find every row of them, then sort.
    """
    branches = query if isinstance(query, list) else [query]
    page_size = page_size or current_app.config["ADMIN_PAGE_SIZE"]
    count_limit = count_limit or list_count_limit()
    total = capped_count(branches, count_limit)
    position = parse_cursor(cursor)
    key = tuple_(order_column, id_column)
    order = (order_column.asc(), id_column.asc()) if oldest_first else (order_column.desc(), id_column.desc())
    if position is not None:
        moment, row_id, _shown = position
        after = key > tuple_(moment, row_id) if oldest_first else key < tuple_(moment, row_id)
        branches = [branch.where(after) for branch in branches]
    pages = [list(db.session.scalars(branch.order_by(*order).limit(page_size + 1))) for branch in branches]
    rows = list(islice(heapq.merge(*pages, key=lambda row: (_value(row, order_column), _value(row, id_column)),
                                   reverse=not oldest_first), page_size + 1))
    shown_before = position[2] if position else 0
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = _cursor(_value(last, order_column), _value(last, id_column), shown_before + len(rows))
    return Page(rows=rows, total=total, count_limit=count_limit, next_cursor=next_cursor, shown_before=shown_before)


def _value(row, column):
    return getattr(row, column.key)


# --- Work queues ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkQueue:
    slug: str
    title: str
    what: str
    #: "requests" or "emails": what the list holds.
    holds: str = "requests"
    oldest_first: bool = True


WORK_QUEUES = {queue.slug: queue for queue in [
    WorkQueue("needs-review", _l("Needs review"),
              _l("Held for a person to decide: the rules could not, or the seat guard or bot check held them. "
                 "Oldest first.")),
    WorkQueue("stale", _l("Stale"),
              _l("Not invited after the promise to the applicant, or failed. Oldest first.")),
    WorkQueue("pending", _l("Pending"),
              _l("Not invited yet, still within the promise. Oldest first.")),
    WorkQueue("waitlisted", _l("Waitlisted"),
              _l("Waiting for a seat, in the order seats will go to them.")),
    WorkQueue("failed-emails", _l("Failed emails"),
              _l("Refused by the mail server. Correct the address, or send again. Oldest first."), holds="emails"),
    WorkQueue("stuck-sends", _l("Stuck sends"),
              _l("Nobody knows whether these arrived: the worker stopped while sending, or the mail server never "
                 "answered. Settle each one. Oldest first."), holds="emails"),
]}


#: Waiting for the pipeline to take a seat and invite (needs review has a queue of its own).
AWAITING_ACTIVATION = (RequestState.SUBMITTED, RequestState.APPROVED)


def work_queue_requests(slug: str) -> list[Select]:
    """The requests of a work queue of requests, as queries that never overlap, one per state (the
    conditions only; `visible_to` and filters follow)."""
    query = select(SignupRequest)
    promise_broken = SignupRequest.created_at < activation_deadline()

    def in_state(state: str, *conditions) -> Select:
        return query.where(SignupRequest.state == state, *conditions)

    if slug == "needs-review":
        return [in_state(RequestState.NEEDS_REVIEW)]
    if slug == "stale":
        return [in_state(RequestState.FAILED)] + [in_state(state, promise_broken) for state in AWAITING_ANSWER]
    if slug == "pending":
        return [in_state(state, ~promise_broken) for state in AWAITING_ACTIVATION]
    if slug == "waitlisted":
        return [in_state(RequestState.WAITLISTED)]
    raise KeyError(slug)


def work_queue_emails(slug: str, now: datetime | None = None) -> list[Select]:
    """The emails of a work queue of emails, as queries that never overlap (see `work_queue_requests`).
    The request of each email comes in the same query (the list shows its code and name)."""
    query = select(OutboundEmail).join(SignupRequest).options(contains_eager(OutboundEmail.signup_request))
    if slug == "failed-emails":
        return [query.where(OutboundEmail.status == EmailStatus.FAILED, OutboundEmail.outcome_unknown.is_(False))]
    if slug == "stuck-sends":
        stuck_since = (now or utcnow()) - STUCK_AFTER
        return [query.where(OutboundEmail.status == EmailStatus.SENDING, OutboundEmail.last_attempt_at < stuck_since),
                query.where(OutboundEmail.status == EmailStatus.FAILED, OutboundEmail.outcome_unknown.is_(True))]
    raise KeyError(slug)


def work_queue_queries(queue: WorkQueue) -> list[Select]:
    return work_queue_emails(queue.slug) if queue.holds == "emails" else work_queue_requests(queue.slug)


def work_queue_page(queue: WorkQueue, staff: StaffUser, filters: Filters, cursor: str | None) -> Page:
    model = OutboundEmail if queue.holds == "emails" else SignupRequest
    queries = [filters.apply(visible_to(query, staff)) for query in work_queue_queries(queue)]
    return keyset_page(queries, model.created_at, model.id, cursor=cursor, oldest_first=queue.oldest_first)


def work_queue_counts(staff: StaffUser) -> dict[str, int]:
    """How many rows each work queue holds for this staff member (up to `list_count_limit()` + 1)."""
    counts = {}
    for slug, queue in WORK_QUEUES.items():
        queries = work_queue_queries(queue)
        counts[slug] = capped_count([visible_to(query, staff) for query in queries])
    return counts


# --- Search -----------------------------------------------------------------------------------

def exact_reference_code(term: str) -> str | None:
    """The reference code `term` is, however it was read out ("k7mq 4x2p", "K7MQ-4X2P", O for 0)."""
    code = normalize_reference_code(term)
    characters = code.replace("-", "")
    if len(characters) == 8 and all(character in REFERENCE_ALPHABET for character in characters):
        return code
    return None


def search_condition(term: str):
    """Requests matching what staff typed, in any state: a reference code, part of an email address
    (any case), the words of a name (accents, case and spacing ignored; each word matched from its
    start), a phone number (any formatting) or a case-management id."""
    term = term.strip()
    conditions = []
    code = exact_reference_code(term)
    if code:
        conditions.append(SignupRequest.reference_code == code)
    if len(term) >= 2:
        conditions.append(SignupRequest.email.contains(normalize_email(term), autoescape=True))
    words = search_words(term)
    if words:
        conditions.append(and_(*(SignupRequest.search_name.contains(" " + word, autoescape=True) for word in words)))
    phone = normalize_phone(term) if any(character.isdigit() for character in term) else None
    if phone:
        conditions.append(SignupRequest.phone == phone)
    case_id = normalize_case_id(term)
    if case_id and len(case_id) <= 30:
        conditions.append(SignupRequest.case_id == case_id)
    return or_(*conditions) if conditions else false()


#: Search results are counted up to this many: a name that matches more needs another word.
SEARCH_COUNT_LIMIT = 500


def search_page(term: str, staff: StaffUser, filters: Filters, cursor: str | None) -> Page:
    """The program's requests in every state that match `term` (newest first), or every request
    without one. A common name ("smith") is read newest first along the program's index until a
    page is full, instead of finding its every match, then sorting."""
    query = visible_to(select(SignupRequest).where(SignupRequest.program == current_program().code), staff)
    if term.strip():
        query = query.where(search_condition(term))
    return keyset_page(filters.apply(query), SignupRequest.created_at, SignupRequest.id, cursor=cursor,
                       oldest_first=False, count_limit=SEARCH_COUNT_LIMIT)
