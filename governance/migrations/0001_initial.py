from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="PolicyVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.CharField(max_length=50, unique=True)),
                ("title", models.CharField(default="Video Conferencing Policy", max_length=200)),
                ("text", models.TextField()),
                ("created_on", models.DateField(blank=True, null=True)),
                ("agreed_on", models.DateField(blank=True, null=True, verbose_name="agreed by governors on")),
                ("shared_with_staff_on", models.DateField(blank=True, null=True)),
                ("next_review_on", models.DateField()),
                ("published_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-published_at", "-created_on"]},
        ),
    ]
