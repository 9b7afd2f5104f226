"""Each request records the hash of its newest event (its history's head), so `tono verify-events` can tell
a history whose newest events were deleted. Existing requests get the hash of their newest event.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SIDES = (("provider_request", "provider_request_event"), ("agency_request", "agency_event"))


def upgrade() -> None:
    for requests, events in SIDES:
        with op.batch_alter_table(requests, schema=None) as batch_op:
            batch_op.add_column(sa.Column('history_head', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                            server_default=''))
        op.execute(f"UPDATE {requests} SET history_head = COALESCE((SELECT e.hash FROM {events} e "
                   f"WHERE e.request_id = {requests}.id ORDER BY e.seq DESC LIMIT 1), '')")


def downgrade() -> None:
    for requests, _events in SIDES:
        with op.batch_alter_table(requests, schema=None) as batch_op:
            batch_op.drop_column('history_head')
