"""News still waiting to be said names the programme's parties as the catalogues now do: {provider},
{provider_full}, {programme} in place of the names the sentences used to write, and the transferred-to
agency as {other_agency}. Data only: without it, news waiting at the upgrade (a web chat's, until the family
opens the page) would find no translation and be said in adult English.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The names as the sentences wrote them until this revision (the bundled Best foot forward agreement's);
# the longest first, so the full name is not taken apart by the short one inside it.
_NAMES = [("City Centre Social Services", "{provider_full}"), ("CCSS", "{provider}"),
          ("Best foot forward", "{programme}")]
_VALUES = [("agency", "other_agency")]  # a sentence's own value, renamed because {agency} is now a name


def _sentence(said: dict, names: list[tuple[str, str]], values: list[tuple[str, str]]) -> dict:
    """A sentence-to-say as bot.language.i18n.to_json wrote it, with its msgid and values renamed."""
    if "msgid" not in said:
        return said
    msgid, renamed = said["msgid"], dict(values)
    for old, new in values:
        msgid = msgid.replace("{" + old + "}", "{" + new + "}")
    for old, new in names:
        msgid = msgid.replace(old, new)
    params = {}
    for name, value in said.get("params", {}).items():
        if "text" in value:
            value = {"text": _sentence(value["text"], names, values)}
        params[renamed.get(name, name)] = value
    return {"msgid": msgid, "params": params}


def _waiting_news_to(names: list[tuple[str, str]], values: list[tuple[str, str]]) -> None:
    table = sa.table('provider_notification', sa.column('id', sa.Integer()), sa.column('text', sa.JSON()),
                     sa.column('buttons', sa.JSON()), sa.column('sent_at', sa.DateTime()))
    connection = op.get_bind()
    waiting = sa.select(table.c.id, table.c.text, table.c.buttons).where(table.c.sent_at.is_(None))
    for row_id, text, buttons in connection.execute(waiting).all():
        new_text = _sentence(text, names, values)
        new_buttons = [[[_sentence(label, names, values), action] for label, action in row]
                       for row in buttons or []]
        if new_text != text or new_buttons != (buttons or []):
            connection.execute(table.update().where(table.c.id == row_id)
                               .values(text=new_text, buttons=new_buttons if buttons else buttons))


def upgrade() -> None:
    _waiting_news_to(_NAMES, _VALUES)


def downgrade() -> None:
    _waiting_news_to([(new, old) for old, new in _NAMES], [(new, old) for old, new in _VALUES])
