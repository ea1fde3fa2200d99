"""A log page links to its call's page only for those who may open it: the office and the DSL
team read every log, but the call page is for the call's own staff and leadership."""

import pytest
import time_machine
from django.urls import reverse

from sessionlogs import services

pytestmark = pytest.mark.django_db


def _page(client, user, call):
    client.force_login(user)
    return client.get(reverse("sessionlogs:call_log", args=[call.pk])).content.decode()


@pytest.fixture
def logged_call(group_call, teacher, after_call, log_input):
    services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    return group_call


@pytest.mark.parametrize("logged", [False, True])
def test_the_office_and_the_ddsl_see_the_log_without_a_dead_call_page_link(
    client, group_call, teacher, office, ddsl, head, after_call, log_input, logged
):
    if logged:
        services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    call_page = reverse("calls:detail", args=[group_call.pk])

    with time_machine.travel(after_call, tick=False):
        for reader in (office, ddsl):
            page = _page(client, reader, group_call)
            assert group_call.title in page
            assert f'href="{call_page}"' not in page
            assert client.get(call_page).status_code == 404  # why the link must not be there
        for reader in (head, teacher):
            assert f'href="{call_page}"' in _page(client, reader, group_call)
            assert client.get(call_page).status_code == 200


def test_the_correction_page_shows_the_call_page_link_to_the_author(client, logged_call, teacher, after_call):
    client.force_login(teacher)
    with time_machine.travel(after_call, tick=False):
        page = client.get(reverse("sessionlogs:correct", args=[logged_call.pk])).content.decode()

    assert f'href="{reverse("calls:detail", args=[logged_call.pk])}"' in page
