"""CON-5, CON-7: decisions and acknowledgements are append-only, in the ORM and the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from consent.choices import Audience, Decision
from consent.models import AcceptableUseAcknowledgement, AcceptableUseDocument, AppendOnlyError, ConsentDecision

pytestmark = pytest.mark.django_db


@pytest.mark.policy("CON-5")
def test_a_decision_cannot_be_changed_through_the_model(child_a, guardian_a, give):
    decision = give(child_a, guardian_a)
    decision.decision = Decision.WITHDRAWN

    with pytest.raises(AppendOnlyError):
        decision.save()

    assert ConsentDecision.objects.get(pk=decision.pk).decision == Decision.GIVEN


@pytest.mark.policy("CON-5")
def test_a_decision_cannot_be_deleted_through_the_model(child_a, guardian_a, give):
    decision = give(child_a, guardian_a)

    with pytest.raises(AppendOnlyError):
        decision.delete()

    assert ConsentDecision.objects.filter(pk=decision.pk).exists()


@pytest.mark.policy("CON-5")
def test_bulk_update_and_delete_are_refused(child_a, guardian_a, give):
    give(child_a, guardian_a)

    with pytest.raises(AppendOnlyError):
        ConsentDecision.objects.update(decision=Decision.WITHDRAWN)
    with pytest.raises(AppendOnlyError):
        ConsentDecision.objects.all().delete()

    assert ConsentDecision.objects.get().decision == Decision.GIVEN


@pytest.mark.policy("CON-7")
def test_an_acknowledgement_cannot_be_changed_or_deleted(parent_a, now):
    document = AcceptableUseDocument.objects.current(Audience.PARENTS)
    ack = AcceptableUseAcknowledgement.objects.create(document=document, user=parent_a, acknowledged_at=now)

    with pytest.raises(AppendOnlyError):
        ack.save()
    with pytest.raises(AppendOnlyError):
        ack.delete()


@pytest.mark.policy("CON-5")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "statement",
    ["UPDATE consent_consentdecision SET decision = 'withdrawn'", "DELETE FROM consent_consentdecision"],
)
def test_the_database_refuses_raw_update_and_delete(child_a, guardian_a, give, statement):
    give(child_a, guardian_a)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert ConsentDecision.objects.get().decision == Decision.GIVEN


@pytest.mark.policy("CON-7")
def test_version_one_of_each_audiences_guidance_is_loaded_from_the_policy():
    documents = AcceptableUseDocument.objects.current_by_audience()

    assert set(documents) == {Audience.PARENTS, Audience.PUPILS, Audience.STAFF}
    for document in documents.values():
        headings = [s["heading"] for s in document.sections]
        items = [i for s in document.sections for i in s["items"]]
        assert document.version == 1
        assert headings == ["Unacceptable use", "The Ernesford Grange Video Conferencing Guidance"]
        assert "Wasting time or resources on school computers." in items
        assert "I will not reveal my passwords to anyone." in items


@pytest.mark.policy("CON-5")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_only_the_retention_sweep_may_delete_and_nobody_may_update(child_a, guardian_a, give):
    from consent.retention import retention_delete_allowed

    give(child_a, guardian_a)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        retention_delete_allowed(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE consent_consentdecision SET decision = 'withdrawn'")
    with transaction.atomic():
        with retention_delete_allowed(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM consent_consentdecision")
        assert not ConsentDecision.objects.exists()
        give(child_a, guardian_a)
        # Later in the same outer transaction the switch is off again.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM consent_consentdecision")

    assert ConsentDecision.objects.count() == 1
