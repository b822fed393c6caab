from tests.conftest import post_form
from tests.factories import make_signup


def test_applicant_checks_status_with_code_and_email(app, client, run_jobs):
    with app.app_context():
        code = make_signup().reference_code
    run_jobs()
    page = post_form(client, "/en/status", {"reference_code": code.lower(), "email": "maria.gonzalez@example.com"})
    assert "Your license is ready" in page.get_data(as_text=True)


def test_status_does_not_reveal_requests_to_a_wrong_email(app, client):
    with app.app_context():
        code = make_signup().reference_code
    page = post_form(client, "/es/status", {"reference_code": code, "email": "otra@example.com"}).get_data(as_text=True)
    assert "No encontramos" in page
    assert "Su licencia" not in page and "Maria" not in page
