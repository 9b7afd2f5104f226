"""[reporting] item 8: outcomes an agency unit reports against the reports that informed them.

The provider keeps each outcome (provider_outcome) with the reports that informed it (provider_outcome_report),
in place of provider_information_use; the agency's agency_information_use names the reports, and gives its
summary as a template's id or in four versions (en/mi × adult/child) instead of one English text.

An outcome kept before this migration named no report and had only an English summary, so it can neither be
tied to the families whose information informed it nor told to them in their language and register: the
upgrade does not carry such rows over (Tono had no deployment when outcomes changed; only demo and test
databases held any). The downgrade brings back the old tables, empty.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_information_use', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_information_use_participant_id'))
    op.drop_table('provider_information_use')

    op.create_table('provider_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('summaries', sa.JSON(), nullable=True),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('chats_told', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_outcome_unit'), ['unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_outcome_reported_on'), ['reported_on'], unique=False)

    op.create_table('provider_outcome_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['outcome_id'], ['provider_outcome.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['provider_report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('outcome_id', 'report_id')
    )
    with op.batch_alter_table('provider_outcome_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_outcome_report_report_id'), ['report_id'], unique=False)

    op.execute(sa.text('DELETE FROM agency_information_use'))  # see above: none can be told to families
    with op.batch_alter_table('agency_information_use', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reports', sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('summaries', sa.JSON(), nullable=True))
        batch_op.drop_column('summary')


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM agency_information_use'))
    with op.batch_alter_table('agency_information_use', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=False))
        batch_op.drop_column('summaries')
        batch_op.drop_column('template')
        batch_op.drop_column('reports')

    with op.batch_alter_table('provider_outcome_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_outcome_report_report_id'))
    op.drop_table('provider_outcome_report')
    with op.batch_alter_table('provider_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_outcome_reported_on'))
        batch_op.drop_index(batch_op.f('ix_provider_outcome_unit'))
    op.drop_table('provider_outcome')

    op.create_table('provider_information_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_information_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_information_use_participant_id'), ['participant_id'], unique=False)
