"""The compliance overview: who may see it, what it counts, CSV, the lists behind red numbers,
and a constant number of queries whatever the size of the school's data."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from consent.models import ConsentDecision
from consent.services import refresh_current_consent
from notifications.models import OutboxMessage
from oversight import overview
from school.models import TermDate
from tests.factories import PupilFactory, SchoolClassFactory, parent_of, staff_user
from tests.governance.conftest import london, model

pytestmark = pytest.mark.django_db

NOW = london(2026, 12, 1, 12, 0)


@pytest.fixture
def autumn(school_week):
    return TermDate.objects.get(name="Autumn 2026")


def fill(size, *, teacher, dsl, autumn):
    """`size` copies of a week's worth of activity in every week of the autumn term."""
    Call, JoinLink, JoinAttempt = model("calls.Call"), model("calls.JoinLink"), model("calls.JoinAttempt")
    klass = SchoolClassFactory(name=f"Class x{size}")
    pupil = PupilFactory(school_class=klass)
    guardian = parent_of(pupil)
    ConsentDecision.objects.create(
        pupil=pupil,
        guardian=guardian,
        scope="video_calls",
        decision="given",
        decided_at=NOW - dt.timedelta(days=90),
        entered_by=guardian.user,
    )
    refresh_current_consent([pupil.pk])  # the decision in force, stored as consent's services store it
    for week in overview.term_weeks(autumn)[1:12]:
        for n in range(size):
            starts = dt.datetime.combine(week + dt.timedelta(days=1), dt.time(10, 0), tzinfo=overview.LONDON)
            base = dict(
                title=f"Call {n}",
                activity="a",
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=30),
                host=teacher,
                booked_by=teacher,
                booked_at=starts - dt.timedelta(days=3),
            )
            held = Call.objects.create(kind="group", second_staff=dsl, status="held", **base)
            Call.objects.create(kind="group", second_staff=None, single_staff_reason="Colleague ill", status="held", **base)
            Call.objects.create(kind="one_to_one", second_staff=dsl, status="scheduled", **base)
            link = JoinLink.objects.create(
                call=held,
                guardian=guardian,
                pupil=pupil,
                token_hash=f"{size}-{week}-{n}",
                created_at=starts - dt.timedelta(days=1),
            )
            JoinAttempt.objects.create(
                link=link, call=held, at=starts + dt.timedelta(minutes=6), allowed=False, reason="The call is locked."
            )
            message = OutboxMessage.objects.create(
                kind="k",
                recipient_email="f@example.test",
                subject="s",
                body_text="b",
                dedupe_key=f"{size}-{week}-{n}",
                state="failed",
            )
            OutboxMessage.objects.filter(pk=message.pk).update(created_at=starts)


def _queries(client, autumn):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("governance:overview"), {"term": autumn.pk})
    assert response.status_code == 200
    return len(captured)


def test_overview_asks_the_same_number_of_queries_at_demo_size_and_ten_times_that(client, head, teacher, dsl, autumn):
    client.force_login(head)
    fill(1, teacher=teacher, dsl=dsl, autumn=autumn)
    _queries(client, autumn)  # warm the session and the cached school settings
    small = _queries(client, autumn)

    fill(10, teacher=teacher, dsl=dsl, autumn=autumn)
    large = _queries(client, autumn)

    assert large == small


@pytest.mark.policy("CALL-2")
def test_overview_counts_single_staff_calls_and_incomplete_one_to_ones_week_by_week(head, teacher, dsl, autumn):
    fill(2, teacher=teacher, dsl=dsl, autumn=autumn)

    sections = {s.key: s for s in overview.build_overview(autumn, NOW)}

    week = sections["single-staff"].rows[1]
    assert week.values == {"single": 2}
    assert sections["single-staff"].extra_rows == [("Colleague ill", 22)]
    assert sections["one-to-ones"].rows[1].values == {"total": 2, "complete": 0, "incomplete": 2}
    assert sections["calls"].rows[1].values["held"] == 4
    assert sections["join-refused"].rows[1].values == {"let_in": 0, "refused": 2}
    assert sections["emails"].rows[1].values == {"sent": 0, "failed": 2}
    assert sum(r.values["given"] for r in sections["consent"].rows) == 1


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize(
    ("who", "status"), [("head", 200), ("deputy", 200), ("teacher", 403), ("dsl", 403), ("office", 403), ("parent_a", 403)]
)
def test_only_head_and_deputy_see_the_overview(client, request, autumn, who, status):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("governance:overview"), {"term": autumn.pk}).status_code == status
    assert client.get(reverse("governance:overview_csv"), {"term": autumn.pk}).status_code == status
    assert client.get(reverse("governance:overview_list", args=["single-staff"]), {"term": autumn.pk}).status_code == status
    assert client.get(reverse("governance:overview_section", args=["calls"]), {"term": autumn.pk}).status_code == status


def test_every_red_number_links_to_the_list_behind_it(client, head, teacher, dsl, autumn):
    fill(1, teacher=teacher, dsl=dsl, autumn=autumn)
    client.force_login(head)
    week = overview.term_weeks(autumn)[1]

    summary = client.get(reverse("governance:overview"), {"term": autumn.pk})
    section = client.get(reverse("governance:overview_section", args=["single-staff"]), {"term": autumn.pk})
    listed = client.get(reverse("governance:overview_list", args=["single-staff"]), {"term": autumn.pk, "week": week.isoformat()})
    whole_term = client.get(reverse("governance:overview_list", args=["single-staff"]), {"term": autumn.pk})

    assert f'single-staff/?term={autumn.pk}"'.encode() in summary.content  # the term's total, linked
    assert f"section/single-staff/?term={autumn.pk}".encode() in summary.content
    assert f"single-staff/?term={autumn.pk}&amp;week={week.isoformat()}".encode() in section.content
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 1
    assert whole_term.context["page"].paginator.count == 11
    assert b"Colleague ill" in listed.content
    assert b"<svg" in section.content


def test_the_summary_totals_agree_with_the_weekly_and_class_tables(head, teacher, dsl, autumn):
    fill(2, teacher=teacher, dsl=dsl, autumn=autumn)

    summaries = {s.key: s for s in overview.build_summary(autumn, NOW)}
    sections = {s.key: s for s in overview.build_overview(autumn, NOW)}

    for key, summary in summaries.items():
        for column in summary.columns:
            assert summary.totals[column.key] == sum(row.values[column.key] for row in sections[key].rows), (key, column.key)
    assert summaries["single-staff"].totals == {"single": 22}


def test_a_class_by_class_section_shows_a_page_of_classes_with_page_links(client, head, autumn):
    from oversight.overview import CLASSES_PER_PAGE

    for n in range(CLASSES_PER_PAGE + 1):
        PupilFactory(school_class=SchoolClassFactory(name=f"Class {n:02}"))
    PupilFactory(school_class=None)
    client.force_login(head)
    url = reverse("governance:overview_section", args=["consent"])

    first = client.get(url, {"term": autumn.pk})
    second = client.get(url, {"term": autumn.pk, "page": 2})

    assert len(first.context["section"].rows) == CLASSES_PER_PAGE
    assert b"Page 1 of 2" in first.content
    assert f"?term={autumn.pk}&amp;page=2".encode() in first.content  # the term is kept
    assert "No class" in [row.label for row in second.context["section"].rows]
    assert "No class" not in [row.label for row in first.context["section"].rows]
    assert client.get(reverse("governance:overview_section", args=["nothing"]), {"term": autumn.pk}).status_code == 404


@pytest.mark.parametrize("key", ["calls", "consent"])
def test_a_section_page_asks_the_same_number_of_queries_at_any_size(client, head, teacher, dsl, autumn, key):
    client.force_login(head)
    url = reverse("governance:overview_section", args=[key])
    fill(1, teacher=teacher, dsl=dsl, autumn=autumn)
    client.get(url, {"term": autumn.pk})

    with CaptureQueriesContext(connection) as small:
        client.get(url, {"term": autumn.pk})
    fill(10, teacher=teacher, dsl=dsl, autumn=autumn)
    with CaptureQueriesContext(connection) as large:
        client.get(url, {"term": autumn.pk})

    assert len(large) == len(small)


def test_unknown_list_is_404(client, head, autumn):
    client.force_login(head)

    assert client.get(reverse("governance:overview_list", args=["nothing-here"]), {"term": autumn.pk}).status_code == 404


def test_csv_export_neutralises_formulas(client, head, teacher, autumn):
    Call = model("calls.Call")
    starts = london(2026, 9, 8, 10, 0)
    Call.objects.create(
        kind="group",
        title="x",
        activity="a",
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=30),
        host=teacher,
        booked_by=teacher,
        booked_at=starts,
        status="held",
        second_staff=None,
        single_staff_reason='=HYPERLINK("http://evil")',
    )
    client.force_login(head)

    response = client.get(reverse("governance:overview_csv"), {"term": autumn.pk})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(cell.startswith("=") for cell in cells)
    assert ["Calls held"] in rows


def test_concerns_are_counts_only(head, dsl, autumn, child_a):
    from safeguarding.models import Concern, ConcernPupil

    concern = Concern.objects.create(
        reported_by=dsl,
        raised_at=london(2026, 9, 8, 10, 0),
        happened_at=london(2026, 9, 8, 9, 0),
        kind="other",
        what_happened="x",
        action_taken="y",
    )
    ConcernPupil.objects.create(concern=concern, pupil=child_a)

    section = next(s for s in overview.build_overview(autumn, NOW) if s.key == "concerns")

    assert section.rows[1].values == {"raised": 1, "late": 1, "open": 1}
    assert not any(c.metric for c in section.columns)


def test_a_deputy_who_is_not_head_sees_it_too(client, autumn):
    deputy_only = staff_user(Role.DEPUTY, email="d2@example.test")
    client.force_login(deputy_only)

    assert client.get(reverse("governance:overview"), {"term": autumn.pk}).status_code == 200


@pytest.mark.policy("CON-7")
def test_staff_acknowledgement_coverage_counts_the_current_staff_guidance(head, teacher, autumn):
    from consent.models import AcceptableUseAcknowledgement, AcceptableUseDocument

    staff_doc = AcceptableUseDocument.objects.current("staff")
    AcceptableUseAcknowledgement.objects.create(document=staff_doc, user=head, acknowledged_at=NOW)

    section = next(s for s in overview.build_overview(autumn, NOW) if s.key == "acknowledgements")

    assert section.extra_rows == [("Members of staff", 2), ("Acknowledged the current staff guidance", 1)]
