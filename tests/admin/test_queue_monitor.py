"""rq-dashboard at /admin/rq: administrators only, on the app's own Redis, its posts checked for
the CSRF token like every other form, and a relaxed Content-Security-Policy there only."""

import pytest
from rq.job import Job

from portal.queue import job_queue, redis_connection
from tests.factories import make_staff, sign_in

MONITOR_PAGES = ["/admin/rq/", "/admin/rq/0/view/workers", "/admin/rq/0/data/queues.json",
                 "/admin/rq/static/css/main.css"]


@pytest.mark.parametrize("url", MONITOR_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login?next=")


@pytest.mark.parametrize("url", MONITOR_PAGES)
def test_help_desk_staff_get_403(app, client, url):
    with app.app_context():
        make_staff()
    sign_in(client)
    assert client.get(url).status_code == 403


@pytest.mark.usefixtures("admin_client")
def test_administrators_see_the_apps_queue(app, client):
    with app.app_context():
        job_queue().enqueue("jobs.email.send_email", 12345, job_id="monitor-test-job")
    page = client.get("/admin/rq/")
    assert page.status_code == 200 and "RQ dashboard" in page.get_data(as_text=True)
    queues = client.get("/admin/rq/0/data/queues.json").get_json()["queues"]
    assert {queue["name"]: queue["count"] for queue in queues} == {app.config["RQ_QUEUE"]: 1}
    assert app.config["RQ_DASHBOARD_REDIS_URL"] == (app.config["REDIS_URL"],)


@pytest.mark.usefixtures("admin_client")
def test_its_posts_need_the_portals_csrf_token(app, client):
    with app.app_context():
        job_queue().enqueue("jobs.email.send_email", 12345, job_id="monitor-test-job")
    client.get("/admin/rq/")
    cookie = client.get_cookie("_csrf_token", path="/admin/rq")
    assert cookie is not None and not cookie.http_only and cookie.same_site == "Strict"
    assert client.post("/admin/rq/job/monitor-test-job/delete").status_code == 400  # no token: refused
    with app.app_context():
        assert Job.exists("monitor-test-job", connection=redis_connection())
    response = client.post("/admin/rq/job/monitor-test-job/delete", headers={"X-CSRFToken": cookie.value})
    assert response.status_code == 200  # as its own script sends it
    with app.app_context():
        assert not Job.exists("monitor-test-job", connection=redis_connection())


@pytest.mark.usefixtures("admin_client")
def test_requeue_all_acts_on_post_only(app, client):
    assert client.get("/admin/rq/requeue/portal-test").status_code == 405


@pytest.mark.usefixtures("admin_client")
def test_relaxed_policy_only_under_admin_rq(app, client):
    monitor = client.get("/admin/rq/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in monitor and "frame-ancestors 'none'" in monitor
    for url in ("/admin/", "/admin/dashboard", "/en/"):
        policy = client.get(url).headers["Content-Security-Policy"]
        assert "unsafe" not in policy and "script-src 'self';" in policy + ";"
