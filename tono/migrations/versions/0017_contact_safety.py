"""[rights] item 5: a family's contact request marked urgent when it speaks of danger or distress, and staff's
replies to contact requests, sent to the family's chat through the outbox.

(Made empty first, so the rooms building [rights] in parallel each had their own revision to fill.)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_contact_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('provider_contact_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_request_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_request_id'], ['provider_contact_request.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['provider_staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_contact_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_contact_reply_contact_request_id'), ['contact_request_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('provider_contact_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_contact_reply_contact_request_id'))
    op.drop_table('provider_contact_reply')

    with op.batch_alter_table('provider_contact_request', schema=None) as batch_op:
        batch_op.drop_column('urgent')
