"""help desk: local areas, staff-entered sign-ups, search, the timeline, emails as sent, staff areas

On PostgreSQL, names and emails get trigram indexes (the pg_trgm extension, which ships with
PostgreSQL and is "trusted": a database owner may create it), so staff find "hernandez" or
"gonzalez77" among a million requests at once. SQLite, for one machine, scans.

Revision ID: a41c7e2d9b10
Revises: 7dbe49467e95
Create Date: 2026-12-04 18:30:00.000000

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a41c7e2d9b10'
down_revision = '7dbe49467e95'
branch_labels = None
depends_on = None

_NOT_LETTERS_OR_DIGITS = re.compile(r"[^0-9a-z]+")


def _searchable_name(name):
    """portal.identifiers.searchable_name as it was when this migration was written."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    plain = plain.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe").replace("ø", "o").replace("ł", "l")
    words = _NOT_LETTERS_OR_DIGITS.sub(" ", plain).split()
    return " " + " ".join(words) if words else ""


def upgrade():
    with op.batch_alter_table('signup_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_area', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('entered_by_staff_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('search_name', sa.String(length=210), server_default='', nullable=False))
        batch_op.add_column(sa.Column('join_link_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_foreign_key('fk_signup_requests_entered_by_staff_id_staff_users', 'staff_users',
                                    ['entered_by_staff_id'], ['id'])
        batch_op.create_index('ix_signup_requests_area_state_created', ['local_area', 'state', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_signup_requests_phone', ['phone'], unique=False)
        batch_op.create_index('ix_signup_requests_state_hold', ['state', 'hold_reason', 'program'], unique=False)

    # Case ids are written in capitals from now on (the agencies' systems do not mind case; staff
    # searching for one should not have to).
    op.execute("UPDATE signup_requests SET case_id = upper(case_id) WHERE case_id IS NOT NULL")
    op.create_index('ix_signup_requests_case_id', 'signup_requests', ['case_id'], unique=False)

    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='state_change', nullable=False))

    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_address', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('sent_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('outcome_unknown', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index('ix_outbound_emails_status')
        batch_op.create_index('ix_outbound_emails_status_created', ['status', 'created_at'], unique=False)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('areas', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))

    connection = op.get_bind()
    requests = sa.table('signup_requests', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                        sa.column('last_name', sa.String), sa.column('search_name', sa.String))
    rows = connection.execute(sa.select(requests.c.id, requests.c.first_name, requests.c.last_name)).all()
    for row in rows:
        connection.execute(requests.update().where(requests.c.id == row.id).values(
            search_name=_searchable_name(f"{row.first_name} {row.last_name}")))

    if connection.dialect.name == "postgresql":
        schema = connection.execute(sa.text(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
        if schema is None:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
            schema = "public"
        op.execute(f"CREATE INDEX ix_signup_requests_search_name_trgm ON signup_requests "
                   f"USING gin (search_name {schema}.gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_signup_requests_email_trgm ON signup_requests "
                   f"USING gin (email {schema}.gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_signup_requests_email_trgm")
        op.execute("DROP INDEX IF EXISTS ix_signup_requests_search_name_trgm")
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('areas')
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_emails_status_created')
        batch_op.create_index('ix_outbound_emails_status', ['status'], unique=False)
        batch_op.drop_column('outcome_unknown')
        batch_op.drop_column('sent_text')
        batch_op.drop_column('to_address')
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_column('kind')
    op.drop_index('ix_signup_requests_case_id', table_name='signup_requests')
    with op.batch_alter_table('signup_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_signup_requests_state_hold')
        batch_op.drop_index('ix_signup_requests_phone')
        batch_op.drop_index('ix_signup_requests_area_state_created')
        batch_op.drop_constraint('fk_signup_requests_entered_by_staff_id_staff_users', type_='foreignkey')
        batch_op.drop_column('join_link_version')
        batch_op.drop_column('search_name')
        batch_op.drop_column('entered_by_staff_id')
        batch_op.drop_column('local_area')
