"""Key rotation: new key first, old keys after, then re-encrypt; the old key can then go."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from safeguarding.models import Concern, ConcernEntry

from .conftest import WHAT_HAPPENED

pytestmark = pytest.mark.django_db


def use_keys(settings, keys):
    """Point the library at `keys` (it caches its Fernet keys on each field)."""
    settings.SALT_KEY = keys
    for model, names in ((Concern, ["what_happened", "childs_words", "action_taken"]), (ConcernEntry, ["text"])):
        for name in names:
            field = model._meta.get_field(name)
            field.__dict__.pop("keys", None)
            field.__dict__.pop("f", None)


@pytest.fixture
def old_key(settings):
    use_keys(settings, ["old-key"])
    yield
    use_keys(settings, settings.PORTAL_FIELD_ENCRYPTION_KEYS)


def raw_what_happened():
    with connection.cursor() as cursor:
        cursor.execute("SELECT what_happened FROM safeguarding_concern")
        return cursor.fetchone()[0]


def test_rotation_re_encrypts_under_the_new_key_and_the_old_key_can_then_go(old_key, concern, settings):
    before = raw_what_happened()
    use_keys(settings, ["new-key", "old-key"])

    call_command("rotate_safeguarding_key", stdout=io.StringIO())

    assert raw_what_happened() != before
    use_keys(settings, ["new-key"])
    assert Concern.objects.get().what_happened == WHAT_HAPPENED


def test_rotation_without_the_old_key_changes_nothing(old_key, concern, settings):
    before = raw_what_happened()
    use_keys(settings, ["new-key"])

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_safeguarding_key")

    assert raw_what_happened() == before
