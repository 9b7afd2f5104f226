"""[rights] item 9: the address a running `tono run` serves on, recorded where `tono enrol` finds it, so an
enrolment link works for the server that is running.

(Made empty first, so the rooms building [rights] in parallel each had their own revision to fill.)

Revision ID: 0018
Revises: 0017
"""
from alembic import op  # noqa: F401

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
