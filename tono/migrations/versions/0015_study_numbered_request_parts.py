"""[reporting] item 6: the study-numbered part of a family's request, asked of the evaluators on its own.

The provider keeps each part (provider_study_part: which request, which unit, the part's own random reference,
the study number, its answer); the agency marks such a request and its task as study-numbered, so only the
roles that see study-numbered data see it.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'provider_study_part',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('study_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('relayed_on', sa.Date(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('answer', sa.JSON(), nullable=True),
        sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['provider_request.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('request_id', 'unit'),
        sa.UniqueConstraint('ref'),
    )
    with op.batch_alter_table('provider_study_part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_study_part_request_id'), ['request_id'], unique=False)
    with op.batch_alter_table('agency_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('study_numbered', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('agency_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('study_numbered', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('agency_task', schema=None) as batch_op:
        batch_op.drop_column('study_numbered')
    with op.batch_alter_table('agency_request', schema=None) as batch_op:
        batch_op.drop_column('study_numbered')
    with op.batch_alter_table('provider_study_part', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_study_part_request_id'))
    op.drop_table('provider_study_part')
