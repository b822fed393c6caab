"""Programs: which state's rules, seats and dates apply, read from a TOML file.

`ny` and `ma` ship here; PORTAL_PROGRAM may also name the path of a program file of your own.
"""

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from flask import current_app

PROGRAMS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class EligibilityRules:
    eligible: frozenset[str]
    eligible_with_layoff_notice: frozenset[str]
    needs_review: frozenset[str]
    agency_staff_excluded: bool


@dataclass(frozen=True)
class Program:
    code: str
    agency: str
    case_id_name: str
    help_email: str
    seat_cap: int
    provider_join_url: str
    enroll_within_days: int
    program_ends: date
    eligibility: EligibilityRules


@cache
def load_program(name_or_path: str) -> Program:
    path = Path(name_or_path)
    if not path.suffix:
        path = PROGRAMS_DIR / f"{name_or_path}.toml"
    with path.open("rb") as file:
        data = tomllib.load(file)
    rules = data.pop("eligibility")
    return Program(
        eligibility=EligibilityRules(
            eligible=frozenset(rules["eligible"]),
            eligible_with_layoff_notice=frozenset(rules["eligible_with_layoff_notice"]),
            needs_review=frozenset(rules["needs_review"]),
            agency_staff_excluded=rules["agency_staff_excluded"],
        ),
        **data,
    )


def current_program() -> Program:
    return load_program(current_app.config["PORTAL_PROGRAM"])
