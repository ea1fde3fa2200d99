"""GOV-4 beside CON-5: records past their retention period are removed on schedule. The
append-only trigger still refuses every UPDATE, and every DELETE except one made while the
transaction has set `consent.retention_sweep = 'on'` (consent.retention.retention_delete_allowed,
used only by the retention sweep). Ordinary code, admin and SQL prompts are refused as before.
"""

from django.db import migrations

ALLOWING = """
CREATE OR REPLACE FUNCTION consent_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('consent.retention_sweep', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

STRICT = """
CREATE OR REPLACE FUNCTION consent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def allow_retention(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOWING, params=None)


def strict_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STRICT, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0004_append_only_triggers")]
    operations = [migrations.RunPython(allow_retention, strict_again)]
