"""GOV-4 beside SG-4: safeguarding records past their retention age are removed on schedule.
The append-only trigger still refuses every UPDATE (except key rotation's) and every DELETE
except one made while the transaction has set `egps.safeguarding_retention = 'on'`
(safeguarding.retention.retention_delete_allowed, used only by the retention sweep).
"""

from django.db import migrations

ALLOWING = """
CREATE OR REPLACE FUNCTION safeguarding_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('egps.safeguarding_key_rotation', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('egps.safeguarding_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'safeguarding records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

WITHOUT_RETENTION = """
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


def allow_retention(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOWING, params=None)


def without_retention(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITHOUT_RETENTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0002_append_only_triggers")]
    operations = [migrations.RunPython(allow_retention, without_retention)]
