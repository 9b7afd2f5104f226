"""[rights] item 5: a family's contact request marked urgent when it speaks of danger or distress, and staff's
replies to contact requests, sent to the family's chat through the outbox.

(Made empty first, so the rooms building [rights] in parallel each had their own revision to fill.)

Revision ID: 0017
Revises: 0016
"""
from alembic import op  # noqa: F401

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
