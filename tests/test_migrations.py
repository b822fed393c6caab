from flask_migrate import check


def test_migrations_match_the_models(app):
    """`flask db check` finds nothing the models have that the migrations lack (on each backend)."""
    with app.app_context():
        check()
