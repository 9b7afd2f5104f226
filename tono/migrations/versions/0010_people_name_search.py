"""An index for the provider desk's people search by name: a word anywhere in a given or family name
(`LIKE '%word%'`) cannot use a B-tree index, so the search read people newest first until enough matched,
all 500,000 of them for a rare name (BENCHMARKS.md, "Scale"). Both indexes cut names into trigrams:

- PostgreSQL: a GIN trigram index (`pg_trgm`, a trusted extension since PostgreSQL 13, so a database owner
  may create it) on the lowered name as the search writes it, `lower(given_name || ' ' || family_name)`.
  A word has no spaces, so it lies within one of the two names exactly when it lies within that text.
- SQLite: an FTS5 table with the `trigram` tokenizer whose content is provider_person itself (it stores
  only the index), kept in step by triggers. Words of fewer than three letters have no trigram; the
  search reads those the old way.

Neither is in the models (autogenerate ignores names starting with `bot.models.PERSON_NAME_SEARCH`). On
SQLite, a later batch_alter_table of provider_person copies the table and drops the old one with its
triggers: such a migration must create the triggers again (and 'rebuild' the index).

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

NAME = 'provider_person_name_search'
# External content: the FTS table's 'delete' must be given the values it indexed, which only the old row has.
SQLITE_TRIGGERS = {
    'insert': f"""AFTER INSERT ON provider_person BEGIN
        INSERT INTO {NAME}(rowid, given_name, family_name) VALUES (new.id, new.given_name, new.family_name);
    END""",
    'delete': f"""AFTER DELETE ON provider_person BEGIN
        INSERT INTO {NAME}({NAME}, rowid, given_name, family_name)
            VALUES ('delete', old.id, old.given_name, old.family_name);
    END""",
    'update': f"""AFTER UPDATE OF id, given_name, family_name ON provider_person BEGIN
        INSERT INTO {NAME}({NAME}, rowid, given_name, family_name)
            VALUES ('delete', old.id, old.given_name, old.family_name);
        INSERT INTO {NAME}(rowid, given_name, family_name) VALUES (new.id, new.given_name, new.family_name);
    END""",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute(f"CREATE INDEX {NAME} ON provider_person "
                   f"USING gin (lower(given_name || ' ' || family_name) gin_trgm_ops)")
    elif dialect == 'sqlite':
        # columnsize=0: no per-row token counts, which only ranking (bm25) reads.
        op.execute(f"CREATE VIRTUAL TABLE {NAME} USING fts5(given_name, family_name, content='provider_person', "
                   f"content_rowid='id', tokenize='trigram', columnsize=0)")
        for event, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {NAME}_{event} {body}")
        op.execute(f"INSERT INTO {NAME}({NAME}) VALUES ('rebuild')")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # The extension stays: other objects in the database may use it, and it changes no table.
        op.execute(f'DROP INDEX {NAME}')
    elif dialect == 'sqlite':
        for event in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER {NAME}_{event}')
        op.execute(f'DROP TABLE {NAME}')
