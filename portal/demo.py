"""Realistic fake requests, for trying the help-desk pages and for benchmarks (never in production)."""

import random
from collections.abc import Callable
from datetime import timedelta

from faker import Faker

from portal.clock import local_date
from portal.extensions import db
from portal.identifiers import new_reference_code
from portal.models import RequestEvent, RequestState, SignupRequest, utcnow
from portal.programs import current_program
from portal.seats import take_seat

_STATES = [
    (RequestState.INVITED, 40),
    (RequestState.ENROLLED, 20),
    (RequestState.APPROVED, 15),
    (RequestState.NEEDS_REVIEW, 8),
    (RequestState.DENIED, 10),
    (RequestState.WAITLISTED, 4),
    (RequestState.FAILED, 3),
]

_SEAT_HOLDERS = (RequestState.INVITED, RequestState.ENROLLED)


def add_demo_requests(count: int, progress: Callable[[int], None] = lambda _n: None, seed: int | None = None) -> None:
    program = current_program()
    rng = random.Random(seed)
    fakers = {"en": Faker("en_US"), "es": Faker("es_MX")}
    for faker in fakers.values():
        faker.seed_instance(seed)
    states, weights = zip(*_STATES, strict=True)
    now = utcnow()
    for number in range(count):
        language = "es" if rng.random() < 0.3 else "en"
        faker = fakers[language]
        state = rng.choices(states, weights)[0]
        created_at = now - timedelta(minutes=rng.randint(1, 5 * 24 * 60))
        first_name, last_name = faker.first_name(), faker.last_name()
        signup = SignupRequest(
            reference_code=new_reference_code(),
            program=program.code,
            state=state,
            first_name=first_name,
            last_name=last_name,
            email=f"{first_name}.{last_name}.{number}@example.com".lower().replace(" ", ""),
            phone=None,
            zip_code=f"{rng.randint(10001, 14925)}",
            preferred_language=language,
            employment_status=rng.choice(["laid_off", "unemployed", "underemployed"]),
            covid_related=rng.choice(["yes", "no", "not_sure"]),
            layoff_notice=False,
            case_id=str(rng.randint(10_000_000, 99_999_999)) if rng.random() < 0.5 else None,
            agency_staff=False,
            attested_at=created_at,
            decision_reason="out_of_work",
            failure_reason="Invitation email could not be delivered: 550 mailbox unavailable"
            if state == RequestState.FAILED else None,
            created_at=created_at,
        )
        if state in _SEAT_HOLDERS:
            signup.invited_at = created_at + timedelta(seconds=5)
            signup.enroll_by = program.enroll_by_for(local_date(signup.invited_at))
            signup.holds_seat = take_seat(program)
            if not signup.holds_seat:
                state = signup.state = RequestState.WAITLISTED
                signup.invited_at = signup.enroll_by = None
        if state == RequestState.ENROLLED:
            signup.enrolled_at = signup.invited_at + timedelta(hours=rng.randint(1, 48))
        signup.events.append(RequestEvent(to_state=RequestState.SUBMITTED, actor="demo data", created_at=created_at))
        if state != RequestState.SUBMITTED:
            signup.events.append(RequestEvent(from_state=RequestState.SUBMITTED, to_state=state, actor="demo data",
                                              created_at=created_at))
        db.session.add(signup)
        if number % 500 == 499:
            db.session.commit()
        progress(1)
    db.session.commit()
