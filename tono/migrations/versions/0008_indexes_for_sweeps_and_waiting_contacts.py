"""Indexes the scale benchmark showed were missing: the agency's deadline sweep reads open tasks of every
unit by state and due date (it read every task ever made), and the provider desk lists the contact
requests still waiting (it read every one ever handled first). See BENCHMARKS.md, "Scale".

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency_task', schema=None) as batch_op:
        batch_op.create_index('ix_agency_task_state_due', ['state', 'due_on'], unique=False)

    with op.batch_alter_table('provider_contact_request', schema=None) as batch_op:
        batch_op.create_index('ix_provider_contact_request_waiting', ['handled_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('provider_contact_request', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_contact_request_waiting')

    with op.batch_alter_table('agency_task', schema=None) as batch_op:
        batch_op.drop_index('ix_agency_task_state_due')
