"""[reporting]: the programme's data at the provider (records, their corrections, the consent register),
reports with the rows they carried and the ledger of sendings; at the agency, the reports each unit received
(and parts waiting for the rest), records that say which report brought them, and officers' roles.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_report_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'ref', 'part')
    )
    op.create_table('provider_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('flow', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('agreement_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('small_groups', sa.JSON(), nullable=False),
    sa.Column('prepared_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('prepared_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('decided_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('held_back_reason', sa.Text(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['corrects_id'], ['provider_report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )
    with op.batch_alter_table('provider_report', schema=None) as batch_op:
        batch_op.create_index('ix_provider_report_flow_period', ['flow', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_report_state'), ['state'], unique=False)

    op.create_table('agency_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('flow', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('agreement_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('corrects_ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['agency_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'ref')
    )
    with op.batch_alter_table('agency_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_report_unit_id'), ['unit_id'], unique=False)

    op.create_table('provider_consent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('consent', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('how', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('by_person_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('agreement_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_person_id'], ['provider_person.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['provider_person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_consent_event', schema=None) as batch_op:
        batch_op.create_index('ix_provider_consent_event_person', ['person_id', 'consent', 'id'], unique=False)

    op.create_table('provider_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('flow', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('correction', sa.Boolean(), nullable=False),
    sa.Column('agreement_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('approved_role', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['provider_person.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['provider_report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_provider_ledger_person', ['person_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_ledger_report_id'), ['report_id'], unique=False)

    op.create_table('provider_programme_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holding', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('row_key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['provider_person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('holding', 'person_id', 'row_key')
    )
    with op.batch_alter_table('provider_programme_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_programme_record_person_id'), ['person_id'], unique=False)

    op.create_table('provider_programme_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('old_values', sa.JSON(), nullable=False),
    sa.Column('new_values', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['provider_programme_record.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_programme_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_programme_correction_record_id'), ['record_id'], unique=False)

    op.create_table('provider_report_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('row_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('held_back', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['provider_person.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['provider_programme_record.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['provider_report.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('provider_report_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_report_row_record_id'), ['record_id'], unique=False)
        batch_op.create_index('ix_provider_report_row_report', ['report_id', 'id'], unique=False)

    with op.batch_alter_table('agency_officer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=32), server_default='', nullable=False))

    with op.batch_alter_table('agency_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('study_numbered', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('row_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('values', sa.JSON(), nullable=True))
        batch_op.alter_column('participant_id',
               existing_type=sa.VARCHAR(length=32),
               type_=sqlmodel.sql.sqltypes.AutoString(length=64),
               existing_nullable=False)
        batch_op.create_index(batch_op.f('ix_agency_record_report_id'), ['report_id'], unique=False)
        batch_op.create_unique_constraint('uq_agency_record_unit_row', ['unit_id', 'row_id'])
        batch_op.create_foreign_key('fk_agency_record_report', 'agency_report', ['report_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('agency_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_agency_record_report', type_='foreignkey')
        batch_op.drop_constraint('uq_agency_record_unit_row', type_='unique')
        batch_op.drop_index(batch_op.f('ix_agency_record_report_id'))
        batch_op.alter_column('participant_id',
               existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
               type_=sa.VARCHAR(length=32),
               existing_nullable=False)
        batch_op.drop_column('values')
        batch_op.drop_column('row_id')
        batch_op.drop_column('report_id')
        batch_op.drop_column('study_numbered')

    with op.batch_alter_table('agency_officer', schema=None) as batch_op:
        batch_op.drop_column('role')

    with op.batch_alter_table('provider_report_row', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_report_row_report')
        batch_op.drop_index(batch_op.f('ix_provider_report_row_record_id'))

    op.drop_table('provider_report_row')
    with op.batch_alter_table('provider_programme_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_programme_correction_record_id'))

    op.drop_table('provider_programme_correction')
    with op.batch_alter_table('provider_programme_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_programme_record_person_id'))

    op.drop_table('provider_programme_record')
    with op.batch_alter_table('provider_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_ledger_report_id'))
        batch_op.drop_index('ix_provider_ledger_person')

    op.drop_table('provider_ledger')
    with op.batch_alter_table('provider_consent_event', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_consent_event_person')

    op.drop_table('provider_consent_event')
    with op.batch_alter_table('agency_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_report_unit_id'))

    op.drop_table('agency_report')
    with op.batch_alter_table('provider_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_report_state'))
        batch_op.drop_index('ix_provider_report_flow_period')

    op.drop_table('provider_report')
    op.drop_table('agency_report_part')
