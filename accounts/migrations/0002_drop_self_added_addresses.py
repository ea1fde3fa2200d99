"""Issue 16: addresses people added to their own account at /accounts/email/ were never proved.

The page is now read-only (portal.account_views.email_address). Any allauth address row that is not
the account's own sign-in address was added that way, so it goes: it could receive password
resets and notices for an account its holder never proved they own. An account whose sign-in
address itself was changed there shows in the audit log (auditlog records User changes); that
is for a person to check, not for a migration to guess.
"""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Lower


def drop_self_added(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    rows = EmailAddress.objects.annotate(own=Lower("user__email"), address=Lower("email"))
    rows.exclude(address=F("own")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(drop_self_added, migrations.RunPython.noop)]
