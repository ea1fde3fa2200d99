"""Loads the school's policy (September 2020) so every fresh install publishes it (COM-6)."""

import datetime as dt
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parent.parent / "data" / "video-conferencing-policy.txt"


def load(apps, schema_editor):
    PolicyVersion = apps.get_model("governance", "PolicyVersion")
    if PolicyVersion.objects.filter(version="2020-09").exists():
        return
    PolicyVersion.objects.create(
        version="2020-09",
        text=SEED.read_text(encoding="utf-8").strip(),
        created_on=dt.date(2020, 9, 1),
        agreed_on=None,  # the seed leaves "Agreed by Governors" blank
        shared_with_staff_on=dt.date(2020, 10, 1),
        next_review_on=dt.date(2021, 9, 1),
        published_at=dt.datetime(2020, 10, 1, 9, 0, tzinfo=dt.UTC),
    )


def unload(apps, schema_editor):
    apps.get_model("governance", "PolicyVersion").objects.filter(version="2020-09").delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
