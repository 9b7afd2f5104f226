"""Desk sessions that can be ended ([hardening-2]): what a desk needs to end every session of a login at
logout, at a password change and when the login is disabled.

Each desk login gets a session generation. A session cookie carries the generation it was issued under, and
the desk refuses a cookie whose generation is no longer the login's, so adding one to it ends every session
of that login at once (deskkit/sessions.py). API tokens get an expiry (deskkit/tokens.py); a token made
before this revision works for 90 more days from the upgrade, as a new one would.

Revision ID: 0012
Revises: 0011
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ACCOUNTS = ('provider_staff', 'agency_officer')
TOKENS = ('provider_api_token', 'agency_api_token')


def upgrade() -> None:
    for table in ACCOUNTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    # Worked out here rather than in SQL, whose date arithmetic differs between SQLite and PostgreSQL.
    in_90_days = datetime.now(UTC) + timedelta(days=90)
    for table in TOKENS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('expires_at', UTCDateTime(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET expires_at = :when").bindparams(
            sa.bindparam('when', in_90_days, type_=UTCDateTime())))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('expires_at', existing_type=UTCDateTime(), nullable=False)


def downgrade() -> None:
    for table in TOKENS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('expires_at')
    for table in ACCOUNTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('session_generation')
