"""The notification outbox carries a turn's replies too: screen, language and register, the copies
document until sent, parts already sent, a claim with a lease, refusals for good; buttons in rows.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screen', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('document_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('document', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('parts_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('claimed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('in_doubt', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_provider_notification_chat_order', ['chat_link_id', 'sent_at', 'id'], unique=False)
    _buttons_to(lambda old: [[button] for button in old])  # one button a row, as notifications had them


def _buttons_to(change) -> None:
    table = sa.table('provider_notification', sa.column('id', sa.Integer()), sa.column('buttons', sa.JSON()))
    connection = op.get_bind()
    for row_id, buttons in connection.execute(sa.select(table.c.id, table.c.buttons)).all():
        if buttons:
            connection.execute(table.update().where(table.c.id == row_id).values(buttons=change(buttons)))


def downgrade() -> None:
    _buttons_to(lambda rows: [button for row in rows for button in row])
    with op.batch_alter_table('provider_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_notification_chat_order')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('in_doubt')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('parts_sent')
        batch_op.drop_column('document')
        batch_op.drop_column('document_name')
        batch_op.drop_column('audience')
        batch_op.drop_column('language')
        batch_op.drop_column('screen')
