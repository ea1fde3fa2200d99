"""CurrentConsent: the decision in force per pupil and scope (CON-5), filled from the decisions
recorded so far with one INSERT ... SELECT (a window over every history: fast on 100,000 rows).
The same definition as consent.selectors.decisions_in_force, in SQL both SQLite and PostgreSQL run."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
INSERT INTO consent_currentconsent (pupil_id, scope, decision, decided_at, consent_decision_id)
SELECT pupil_id, scope, decision, decided_at, id FROM (
    SELECT d.pupil_id, d.scope, d.decision, d.decided_at, d.id,
           ROW_NUMBER() OVER (PARTITION BY d.pupil_id, d.scope ORDER BY d.decided_at DESC, d.id DESC) AS rank
    FROM consent_consentdecision d
    JOIN school_guardianship g ON g.guardian_id = d.guardian_id AND g.pupil_id = d.pupil_id
    WHERE g.parental_responsibility
) ranked
WHERE rank = 1
"""


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0005_retention_may_delete'),
        ('school', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CurrentConsent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(choices=[('video_calls', 'Video calls with the school'), ('recording', 'Recording of lessons')], max_length=20)),
                ('decision', models.CharField(choices=[('given', 'Given'), ('withdrawn', 'Withdrawn')], max_length=10)),
                ('decided_at', models.DateTimeField()),
                ('consent_decision', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='consent.consentdecision')),
                ('pupil', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='current_consents', to='school.pupil')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('pupil', 'scope'), name='one_current_consent_per_pupil_scope')],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
