"""Trust: a pg_dump of the portal restores into an empty database with every record, and
concern text in the dump stays unreadable without the encryption key kept apart from it."""

import os
import shutil
import subprocess
import uuid

import psycopg2
import pytest
from cryptography.fernet import InvalidToken
from django.db import connection
from django.utils import timezone
from encrypted_fields.fields import EncryptedTextField

from consent.choices import Scope
from consent.services import give_consent
from safeguarding.choices import ConcernKind
from safeguarding.services import raise_concern

pytestmark = [pytest.mark.django_db(transaction=True)]

SECRET = "Amelia said something about the man at the park"
TABLES = ["school_pupil", "school_guardian", "consent_consentdecision", "safeguarding_concern", "auditlog_logentry"]


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("backup and restore are proven on PostgreSQL (set DATABASE_URL; .ci/run does)")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed")


def _libpq_env():
    db = connection.settings_dict
    env = dict(os.environ)
    env.update({"PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432), "PGUSER": db["USER"] or "postgres"})
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _counts(dbname, env):
    conn = psycopg2.connect(
        dbname=dbname, host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=env.get("PGPASSWORD")
    )
    try:
        with conn.cursor() as cursor:
            found = {}
            for table in TABLES:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - fixed table names
                found[table] = cursor.fetchone()[0]
            cursor.execute('SELECT what_happened FROM "safeguarding_concern"')
            stored = [row[0] for row in cursor.fetchall()]
        return found, stored
    finally:
        conn.close()


def test_a_dump_restores_every_record_and_concerns_stay_encrypted(
    tmp_path, teacher, dsl, child_a, guardian_a, parent_a, settings
):
    _needs_postgres()
    now = timezone.now()
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=now)
    raise_concern(
        reported_by=teacher,
        pupils=[child_a],
        kind=ConcernKind.DISCLOSURE,
        happened_at=now,
        what_happened=SECRET,
        childs_words=SECRET,
        action_taken="Listened and reassured",
        now=now,
    )
    env = _libpq_env()
    source = connection.settings_dict["NAME"]
    restored = f"egps_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "portal.dump"

    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source], check=True, env=env)
    subprocess.run(["createdb", restored], check=True, env=env)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, str(dump)], check=True, env=env)
        before, _ = _counts(source, env)
        after, stored = _counts(restored, env)
    finally:
        subprocess.run(["dropdb", "--if-exists", restored], check=True, env=env)

    assert after == before
    assert after["safeguarding_concern"] == 1
    assert SECRET.encode() not in dump.read_bytes()
    assert all(SECRET not in value for value in stored)
    # With the key the restored text reads back; with any other key it does not.
    field = EncryptedTextField()
    assert field.from_db_value(stored[0], None, None) == SECRET
    settings.SALT_KEY = ["a-different-key-than-the-one-kept-apart"]
    wrong = EncryptedTextField()
    with pytest.raises(InvalidToken):
        wrong.f.decrypt(stored[0].encode())
