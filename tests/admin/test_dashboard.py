"""The program dashboard: every staff member sees it (their areas only), and its figures are right
on a small known set of requests, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest

from portal.activation import activate_request
from portal.admin.dashboard import (
    DASHBOARD_CACHE_SECONDS,
    SIGNUP_DAYS,
    continuous_percentile,
    count_dashboard_figures,
    dashboard_figures,
    signups_chart,
)
from portal.clock import local_date, start_of_local_day
from portal.extensions import db
from portal.models import RequestState, SignupRequest, StaffRole, utcnow
from portal.programs import current_program
from tests.factories import make_signup, make_staff, sign_in


@pytest.fixture
def app_settings():
    return {"DASHBOARD_CACHE_SECONDS": 0}


def _invite(signup: SignupRequest, after: timedelta) -> None:
    activate_request(signup.id)
    signup = db.session.get(SignupRequest, signup.id, populate_existing=True)
    assert signup.state == RequestState.INVITED
    signup.invited_at = signup.created_at + after
    db.session.commit()


def _known_requests():
    """Requests whose figures are known (ZIP 12207 is in the Capital Region area, 10001 in New York City):

    - invited after 1, 2, 3 and 60 hours (signed up 3, 3, 10 and 20 days ago);
    - still waiting after 100 hours (stale: the promise broken), and one of 2 hours (within it);
    - one denied (not counted in the promise), one 40 days old invited after 1 hour (outside 30 days).
    """
    invited = [(timedelta(days=3), timedelta(hours=1), "12207", "en"),
               (timedelta(days=3), timedelta(hours=2), "12207", "es"),
               (timedelta(days=10), timedelta(hours=3), "10001", "es"),
               (timedelta(days=20), timedelta(hours=60), "10001", "en")]
    for number, (age, after, zip_code, language) in enumerate(invited):
        signup = make_signup(age=age, email=f"invited{number}@example.com", zip_code=zip_code,
                             preferred_language=language)
        _invite(signup, after)
    make_signup(age=timedelta(hours=100), email="stale@example.com", zip_code="10001")
    make_signup(age=timedelta(hours=2), email="fresh@example.com", zip_code="12207")
    make_signup(age=timedelta(days=2), email="denied@example.com", agency_staff="yes")
    old = make_signup(age=timedelta(days=40), email="old@example.com", zip_code="12207")
    _invite(old, timedelta(hours=1))



def test_figures_on_a_known_set_of_requests(app_context):
    admin = make_staff("admin@agency.example.gov", StaffRole.ADMIN)
    _known_requests()
    figures = count_dashboard_figures(admin)

    assert figures.by_state == {"invited": 5, "approved": 2, "denied": 1}
    assert figures.total == 8
    assert figures.by_area == [("capital", 5), ("new_york_city", 3)]
    assert figures.by_language == [("en", 6), ("es", 2)]
    week, month = figures.promise_shares
    # 7 days: two invited within 48 hours, one still waiting after 100 (the fresh one and the denied
    # one are not counted).
    assert (week.days, week.counted, week.kept) == (7, 3, 2)
    # 30 days: add one invited after 3 hours (kept) and one after 60 (broken).
    assert (month.days, month.counted, month.kept) == (30, 5, 3)
    assert month.percent == pytest.approx(60)
    # 1, 2, 3 and 60 hours: interpolated as PostgreSQL's percentile_cont does.
    assert figures.invited_recently == 4
    assert figures.median_hours_to_invitation == pytest.approx(2.5, abs=0.01)
    assert figures.percentile_95_hours_to_invitation == pytest.approx(3 + 57 * 0.85, abs=0.01)
    assert figures.seats_taken == 5
    assert figures.seats_left == current_program().seat_cap - 5
    assert figures.waitlist_length == 0

    days = figures.signups_per_day
    assert len(days) == SIGNUP_DAYS and days[-1].day == local_date(utcnow())
    assert sum(day.count for day in days) == 8  # the 40-day-old one too
    by_day = {day.day: day.count for day in days}
    for signup in SignupRequest.query.all():
        assert by_day[local_date(signup.created_at)] >= 1


def test_area_limited_staff_see_only_their_areas(app_context):
    capital_desk = make_staff()
    capital_desk.areas = ["capital"]
    db.session.commit()
    _known_requests()
    figures = count_dashboard_figures(capital_desk)
    assert figures.by_state == {"invited": 3, "approved": 1, "denied": 1}
    assert figures.by_area == [("capital", 5)]
    assert [(share.counted, share.kept) for share in figures.promise_shares] == [(2, 2), (2, 2)]
    assert sum(day.count for day in figures.signups_per_day) == 5
    assert figures.invited_recently == 2
    assert figures.seats_taken == 5  # seats are the program's, one pool for every area


def test_sign_ups_per_day_follow_the_program_time_zone(app_context):
    admin = make_staff("admin@agency.example.gov", StaffRole.ADMIN)
    today = local_date(utcnow())
    midnight = start_of_local_day(today)  # in New York: 04:00 or 05:00 UTC
    for number, moment in enumerate([midnight, midnight + timedelta(seconds=1), midnight - timedelta(seconds=1),
                                     start_of_local_day(today - timedelta(days=SIGNUP_DAYS - 1)),
                                     start_of_local_day(today - timedelta(days=SIGNUP_DAYS)) + timedelta(hours=23)]):
        signup = make_signup(email=f"person{number}@example.com")
        signup.created_at = moment
    db.session.commit()
    days = {day.day: day.count for day in count_dashboard_figures(admin).signups_per_day}
    assert days[today] == 2
    assert days[today - timedelta(days=1)] == 1
    assert days[today - timedelta(days=SIGNUP_DAYS - 1)] == 1  # the first day shown
    assert sum(days.values()) == 4  # the one of the day before that is not shown


def test_no_requests_yet(app_context):
    figures = count_dashboard_figures(make_staff())
    assert figures.total == 0 and figures.by_area == [] and figures.median_hours_to_invitation is None
    assert [share.percent for share in figures.promise_shares] == [None, None]
    assert signups_chart(figures.signups_per_day).bars[0].height == 0


def test_continuous_percentile_is_postgresqls():
    assert continuous_percentile([], 0.5) is None
    assert continuous_percentile([7.0], 0.95) == 7.0
    assert continuous_percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert continuous_percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)


def test_chart_bars_are_scaled_to_the_busiest_day(app_context):
    admin = make_staff("admin@agency.example.gov", StaffRole.ADMIN)
    for number in range(3):
        make_signup(email=f"today{number}@example.com")
    make_signup(email="yesterday@example.com", age=timedelta(days=1))
    chart = signups_chart(count_dashboard_figures(admin).signups_per_day)
    assert len(chart.bars) == SIGNUP_DAYS
    plot_height = chart.plot_bottom - chart.plot_top
    busiest = max(chart.bars, key=lambda bar: bar.height)
    assert busiest.count == 3 and busiest.height == pytest.approx(plot_height * 3 / 4)  # the scale tops at 4
    assert all(bar.y + bar.height == pytest.approx(chart.plot_bottom) for bar in chart.bars)


# --- The page -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [StaffRole.HELPDESK, StaffRole.ADMIN])
def test_every_staff_member_sees_the_dashboard(app, client, role):
    with app.app_context():
        make_staff(role=role)
        _known_requests()
    sign_in(client)
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<svg viewBox="0 0 720 240" role="img" aria-labelledby="signups-chart-title signups-chart-desc"' in page
    assert "<title id=\"signups-chart-title\">Sign-ups per day, last 60 days</title>" in page
    assert "<details" in page and "Sign-ups per day as a table" in page
    assert "60%" in page and "3 of 5" in page  # invited within the promise, last 30 days
    assert "2.5 hours" in page and "Figures as of" in page
    assert "Capital Region" in page and "New York City" in page and "Spanish" in page


def test_dashboard_in_spanish(app, client):
    with app.app_context():
        make_staff()
    sign_in(client)
    page = client.get("/admin/dashboard", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in page


def test_dashboard_shows_the_seat_guard(app, client):
    with app.app_context():
        make_staff()
        limit = current_program().seat_guard.max_signups
        for number in range(limit):
            make_signup(email=f"burst{number}@example.com")
    sign_in(client)
    assert "The seat guard is on" in client.get("/admin/dashboard").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


@pytest.mark.parametrize("app_settings", [{"DASHBOARD_CACHE_SECONDS": 60}])
def test_figures_are_kept_for_a_while_and_say_when_they_were_counted(app_context, app_settings):
    admin = make_staff("admin@agency.example.gov", StaffRole.ADMIN)
    first = dashboard_figures(admin)
    make_signup()
    assert dashboard_figures(admin) is first  # counted once a minute, not on every visit
    assert count_dashboard_figures(admin).total == first.total + 1
    limited = make_staff()
    limited.areas = ["capital"]
    db.session.commit()
    assert dashboard_figures(limited).total == 1  # other areas, other figures
    assert DASHBOARD_CACHE_SECONDS == 60
