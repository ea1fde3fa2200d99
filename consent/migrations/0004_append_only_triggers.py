"""CON-5, CON-7: on PostgreSQL the database itself refuses UPDATE and DELETE of consent
decisions and acceptable-use acknowledgements, whatever code (or person with a SQL prompt
using the portal's account) tries.

SQLite gets no trigger: Django's test flush empties tables with DELETE there, and the model
and queryset already refuse. On PostgreSQL flush uses TRUNCATE, which row triggers ignore.
"""

from django.db import migrations

TABLES = ["consent_consentdecision", "consent_acceptableuseacknowledgement"]

FUNCTION = """
CREATE OR REPLACE FUNCTION consent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function body contains a literal "%" that must not be read as a placeholder.
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS consent_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("consent", "0003_load_acceptable_use_v1")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
