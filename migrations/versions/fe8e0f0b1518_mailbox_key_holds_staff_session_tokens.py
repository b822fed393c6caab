"""mailbox key (one open request per person), holds for review, staff session tokens

Revision ID: fe8e0f0b1518
Revises: 3b4aa4786d37
Create Date: 2026-11-29 03:51:11.464801

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fe8e0f0b1518'
down_revision = '3b4aa4786d37'
branch_labels = None
depends_on = None

OPEN = sa.text("state NOT IN ('denied', 'removed', 'completed')")


def _mailbox_key(email):
    """portal.identifiers.mailbox_key as it was when this migration was written (a migration must
    keep meaning what it meant, whatever the app's code says later)."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at or not local:
        return email.strip().lower()
    domain = domain.rstrip(".")
    untagged = local.split("+", 1)[0] or local
    if domain in ("gmail.com", "googlemail.com"):
        domain = "gmail.com"
        untagged = untagged.replace(".", "") or untagged
    return f"{untagged}@{domain}"


def upgrade():
    with op.batch_alter_table('signup_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_key', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=20), nullable=True))
        batch_op.drop_index('uq_signup_requests_open_email', sqlite_where=OPEN, postgresql_where=OPEN)

    # Fill the key of every existing request. Two open requests that turn out to be one mailbox
    # (made before this rule) both stay: the older keeps the plain key, the newer one's key is
    # marked with its id so the unique index can be built; staff can close it.
    connection = op.get_bind()
    requests = sa.table('signup_requests', sa.column('id', sa.Integer), sa.column('program', sa.String),
                        sa.column('email', sa.String), sa.column('state', sa.String),
                        sa.column('email_key', sa.String))
    taken = set()
    updates = []
    rows = connection.execute(sa.select(requests.c.id, requests.c.program, requests.c.email, requests.c.state)
                              .order_by(requests.c.id))
    for request_id, program, email, state in rows:
        key = _mailbox_key(email)
        if state not in ('denied', 'removed', 'completed'):
            if (program, key) in taken:
                key = f"{key}#{request_id}"
            taken.add((program, key))
        updates.append({'request_id': request_id, 'key': key})
    if updates:
        connection.execute(requests.update().where(requests.c.id == sa.bindparam('request_id'))
                           .values(email_key=sa.bindparam('key')), updates)

    with op.batch_alter_table('signup_requests', schema=None) as batch_op:
        batch_op.alter_column('email_key', existing_type=sa.String(length=254), nullable=False)
        batch_op.create_index('ix_signup_requests_program_created', ['program', 'created_at'], unique=False)
        batch_op.create_index('uq_signup_requests_open_mailbox', ['program', 'email_key'], unique=True,
                              postgresql_where=OPEN, sqlite_where=OPEN)

    # Every staff account gets a session token; sessions from before carry none and end.
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    staff = sa.table('staff_users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (staff_id,) in connection.execute(sa.select(staff.c.id)).all():
        connection.execute(staff.update().where(staff.c.id == staff_id)
                           .values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('session_token')

    with op.batch_alter_table('signup_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_signup_requests_open_mailbox', postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_index('ix_signup_requests_program_created')
        batch_op.create_index('uq_signup_requests_open_email', ['program', 'email'], unique=True,
                              postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('email_key')
