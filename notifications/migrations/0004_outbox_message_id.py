"""Each outbox row keeps its own Message-ID, drawn at random when the row is written.

Rows already written keep the Message-ID they were (or will be) sent with, so a retry of an
old row is still recognisable as the same message.
"""

from django.db import migrations, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

import notifications.models


def keep_the_old_ids(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    OutboxMessage.objects.update(
        message_id=Concat(Value("<outbox-"), Cast("id", CharField()), Value("@egps-portal>"), output_field=CharField())
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_outbox_raw_message")]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="message_id",
            field=models.CharField(editable=False, max_length=255, null=True),
        ),
        migrations.RunPython(keep_the_old_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboxmessage",
            name="message_id",
            field=models.CharField(
                default=notifications.models.new_message_id, editable=False, max_length=255, unique=True
            ),
        ),
    ]
