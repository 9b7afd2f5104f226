"""[rights] item 9: the address a running `tono run` serves on, recorded where `tono enrol` finds it, so an
enrolment link works for the server that is running (tono/served_address.py).

(Made empty first, so the rooms building [rights] in parallel each had their own revision to fill.)

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_served_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('provider_served_address')
