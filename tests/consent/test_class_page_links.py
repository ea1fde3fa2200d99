"""A class consent page links each pupil to "record a decision" only for those who may open that
page: the DSL team sees every class, but records decisions only for classes they teach (CON-4)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _class_page(client, user, school_class):
    client.force_login(user)
    response = client.get(reverse("consent:class", args=[school_class.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.policy("CON-4")
def test_pupil_links_are_shown_only_to_those_who_may_record(client, class_a, child_a, teacher, office, dsl, ddsl, teacher_b):
    record = reverse("consent:record", args=[child_a.pk])

    for reader in (dsl, ddsl):  # teachers too, but not of this class
        assert f'href="{record}"' not in _class_page(client, reader, class_a)
        assert child_a.full_name in _class_page(client, reader, class_a)
        assert client.get(record).status_code == 404
    for reader in (teacher, office):
        assert f'href="{record}"' in _class_page(client, reader, class_a)
        assert client.get(record).status_code == 200


def test_a_dsl_who_teaches_the_class_gets_the_links(client, class_a, child_a, dsl):
    class_a.teachers.add(dsl)

    assert f'href="{reverse("consent:record", args=[child_a.pk])}"' in _class_page(client, dsl, class_a)
