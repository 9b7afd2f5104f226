"""The inbox under junk ([hardening-2]): dead letters say where they came from, whether they were junk
(only a sample of their first bytes kept) and when a genuine one was handled, so both can expire
(linkqueue/dead_letters.py); and per-minute counts of what the inbox refused, for the desks' rate.

Dead letters kept before this migration count as genuine (junk false) and are kept until someone deletes
them: docs/backups-and-retention.md says how to look at and clear them.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

SIDES = ('provider', 'agency')


def upgrade() -> None:
    for side in SIDES:
        with op.batch_alter_table(f'{side}_dead_letter', schema=None) as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('junk', sa.Boolean(), nullable=False, server_default=sa.false()))
            batch_op.add_column(sa.Column('handled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
            batch_op.create_index(f'ix_{side}_dead_letter_expiry', ['junk', 'received_at'], unique=False)
        op.create_table(
            f'{side}_inbox_refused',
            sa.Column('minute', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column('junk', sa.Integer(), nullable=False),
            sa.Column('turned_away', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('minute'),
        )


def downgrade() -> None:
    for side in SIDES:
        op.drop_table(f'{side}_inbox_refused')
        with op.batch_alter_table(f'{side}_dead_letter', schema=None) as batch_op:
            batch_op.drop_index(f'ix_{side}_dead_letter_expiry')
            batch_op.drop_column('handled_at')
            batch_op.drop_column('junk')
            batch_op.drop_column('source')
