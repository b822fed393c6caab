from portal.models import SignupRequest, StaffUser
from portal.staff import authenticate


def test_create_staff(app, runner):
    result = runner.invoke(args=["create-staff", "Desk@Agency.example.gov", "--role", "admin",
                                 "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = StaffUser.query.one()
        assert (staff.email, staff.role) == ("desk@agency.example.gov", "admin")
        assert staff.password_hash.startswith("$argon2")
        assert authenticate("desk@agency.example.gov", "a long passphrase") == staff
    again = runner.invoke(args=["create-staff", "desk@agency.example.gov", "--password", "x"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_dev_staff_prints_a_login_once_and_remembers_it(app, runner):
    first = runner.invoke(args=["dev-staff"])
    assert "dev@localhost /" in first.output
    assert runner.invoke(args=["dev-staff"]).output == first.output
    with app.app_context():
        assert StaffUser.query.count() == 1


def test_demo_data(app, runner):
    result = runner.invoke(args=["demo-data", "30"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert SignupRequest.query.count() == 30
