"""SG-4 in the database itself: on PostgreSQL, rows of the append-only tables can be neither
updated nor deleted, whatever code (or console session) tries. Key rotation, which rewrites
only ciphertext, sets `egps.safeguarding_key_rotation` for its own transaction.

TRUNCATE (used by test flushes) does not fire row triggers. SQLite has no trigger here:
the models' save()/delete() and querysets refuse there.
"""

from django.db import migrations

TABLES = [
    "safeguarding_concern",
    "safeguarding_concernpupil",
    "safeguarding_concernentry",
    "safeguarding_concernaccess",
    "safeguarding_concernalert",
    "safeguarding_pupilfileexport",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION safeguarding_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('egps.safeguarding_key_rotation', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'safeguarding records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function body has "%" placeholders that are PL/pgSQL's, not the driver's.
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION safeguarding_refuse_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS safeguarding_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
