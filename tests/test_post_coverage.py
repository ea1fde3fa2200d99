"""The POST-coverage check itself (tests/post_coverage.py): what it lists, what it counts, and
when it judges a run."""

import datetime as dt
import types
from pathlib import Path

import pytest
from django.urls import reverse

from tests import post_coverage
from tests.post_coverage import accepts_post, post_accepting_patterns

pytestmark = pytest.mark.django_db


def _keys():
    return {p.key for p in post_accepting_patterns()}


def test_it_lists_views_that_accept_post_however_they_say_so():
    keys = _keys()

    assert "governance:edit_version" in keys  # form bound to request.POST
    assert "school:term_remove" in keys  # @require_POST under another decorator
    assert "calls:join" in keys  # `if request.method != "POST"`
    assert "school:settings" in keys  # request.FILES
    assert "calls:feed_change" in keys


def test_it_leaves_out_views_that_only_read():
    keys = _keys()

    assert not keys & {"home", "healthz", "governance:policy", "calls:feed", "governance:audit", "school:pupils_csv"}
    assert "platforms:bbb_callback" not in keys  # @require_GET


def test_only_allauths_own_views_are_left_out():
    patterns = post_accepting_patterns()
    routes = {p.route for p in patterns}
    views = {p.view for p in patterns}

    assert not any(r.startswith("accounts/") for r in routes)
    assert not any(v.startswith("allauth.") for v in views)
    assert post_coverage.EXEMPT_APP_NAMESPACES == ()
    # The Django admin is listed like everything else: its login, password change and changelists.
    assert {"admin:login", "admin:auth_user_password_change", "admin:accounts_user_changelist"} <= _keys()
    assert "django-admin/accounts/user/<path:object_id>/" in routes
    assert len(routes) >= 40


def test_an_admin_changelist_with_nothing_to_post_is_not_listed_but_one_with_an_action_is(monkeypatch):
    from platforms.admin import MeetingReportAdmin

    keys = _keys()
    # Read-only by design: no action and no editable column, even for a superuser.
    assert not keys & {"admin:platforms_meetingreport_changelist", "admin:auditlog_logentry_changelist"}
    assert "admin:safeguarding_dslabsence_changelist" in keys  # "delete selected" is offered

    monkeypatch.setattr(MeetingReportAdmin, "has_delete_permission", lambda self, request, obj=None: True)
    assert "admin:platforms_meetingreport_changelist" in _keys()


def test_a_class_based_view_counts_by_its_post_method():
    from django.views.generic import FormView, TemplateView

    assert accepts_post(FormView.as_view())
    assert not accepts_post(TemplateView.as_view())


@pytest.fixture
def fresh_record(monkeypatch):
    record = set()
    monkeypatch.setattr(post_coverage, "_posted", record)
    return record


def test_a_post_that_saves_counts(client, office, fresh_record):
    from school.models import TermDate

    term = TermDate.objects.create(name="Spring", starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 3, 26))
    client.force_login(office)

    client.post(reverse("school:term_remove", args=[term.pk]))

    assert fresh_record == {"school:term_remove"}


def test_a_refused_post_does_not_count(client, teacher, fresh_record):
    from school.models import TermDate

    term = TermDate.objects.create(name="Spring", starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 3, 26))
    client.force_login(teacher)

    assert client.post(reverse("school:term_remove", args=[term.pk])).status_code == 403
    assert fresh_record == set()


def test_a_post_that_only_shows_the_form_again_does_not_count(client, office, fresh_record):
    client.force_login(office)

    response = client.post(reverse("school:term_add"), {"term-name": "", "term-starts_on": "x", "term-ends_on": ""})

    assert response.status_code == 200
    assert fresh_record == set()


def _config(tmp_path, *args, keyword="", markexpr="", maxfail=0, invoked_from=None, collectonly=False):
    (tmp_path / "tests").mkdir(exist_ok=True)
    options = {"keyword": keyword, "markexpr": markexpr, "maxfail": maxfail, "lf": False, "collectonly": collectonly}
    return types.SimpleNamespace(
        rootpath=tmp_path,
        getini=lambda name: ["tests"],
        invocation_params=types.SimpleNamespace(dir=invoked_from or tmp_path),
        args=list(args) or ["tests"],
        getoption=lambda name, default=None: options.get(name, default),
    )


def test_a_plain_run_of_everything_is_judged(tmp_path):
    assert post_coverage._is_whole_suite(_config(tmp_path))
    assert post_coverage._is_whole_suite(_config(tmp_path, str(tmp_path / "tests")))
    assert post_coverage._is_whole_suite(_config(tmp_path, ".", invoked_from=tmp_path / "tests"))


@pytest.mark.parametrize(
    "changes",
    [
        {"args": ["tests/calls"]},
        {"args": ["tests/calls/test_views.py"]},
        {"args": ["tests::test_x"]},
        {"keyword": "leaver"},
        {"markexpr": "not browser"},
        {"maxfail": 1},
        {"collectonly": True},
    ],
)
def test_a_partial_run_is_never_judged(tmp_path, changes):
    args = changes.pop("args", [])

    assert not post_coverage._is_whole_suite(_config(tmp_path, *args, **changes))


def test_a_run_with_deselected_tests_is_never_judged(tmp_path):
    config = _config(tmp_path)
    post_coverage.pytest_deselected([types.SimpleNamespace(config=config)])

    assert not post_coverage._is_whole_suite(config)


def test_this_file_is_in_the_suite_it_checks():
    assert Path(__file__).parent.name == "tests"


def test_a_post_refused_with_an_error_message_does_not_count(client, head, fresh_record):
    from governance.models import PolicyVersion

    draft = PolicyVersion.objects.create(version="x", text="T", next_review_on=dt.date(2027, 1, 1))  # no agreement date
    client.force_login(head)

    response = client.post(reverse("governance:publish_version", args=[draft.pk]))

    assert response.status_code == 302  # back to the draft, with the reason
    assert PolicyVersion.objects.get(pk=draft.pk).published_at is None
    assert fresh_record == set()


TWO_VIEWS = [post_coverage.Pattern("a:save", "a/", "a.views.save"), post_coverage.Pattern("b:save", "b/", "b.views.save")]


def _session(config):
    return types.SimpleNamespace(config=config, shouldstop=False, shouldfail=False, exitstatus=0)


def test_a_whole_run_that_missed_a_post_view_fails_and_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(post_coverage, "post_accepting_patterns", lambda: TWO_VIEWS)
    monkeypatch.setattr(post_coverage, "_posted", {"a:save"})
    session = _session(_config(tmp_path))

    post_coverage.pytest_sessionfinish(session, 0)

    assert session.exitstatus == 1
    assert [p.key for p in post_coverage._state(session.config)["failed"]] == ["b:save"]


def test_a_whole_run_that_posted_everywhere_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(post_coverage, "post_accepting_patterns", lambda: TWO_VIEWS)
    monkeypatch.setattr(post_coverage, "_posted", {"a:save", "b:save"})
    session = _session(_config(tmp_path))

    post_coverage.pytest_sessionfinish(session, 0)

    assert session.exitstatus == 0


def test_one_file_run_is_not_failed_for_views_it_does_not_post_to(tmp_path, monkeypatch):
    monkeypatch.setattr(post_coverage, "post_accepting_patterns", lambda: TWO_VIEWS)
    monkeypatch.setattr(post_coverage, "_posted", set())
    session = _session(_config(tmp_path, "tests/calls/test_views.py"))

    post_coverage.pytest_sessionfinish(session, 0)

    assert session.exitstatus == 0


def test_under_xdist_the_workers_records_are_added_up_by_the_controller(tmp_path, monkeypatch):
    monkeypatch.setattr(post_coverage, "post_accepting_patterns", lambda: TWO_VIEWS)
    controller = _config(tmp_path)
    node = types.SimpleNamespace(config=controller, workerinput={})
    post_coverage.pytest_configure_node(node)
    for worker_id, seen in (("gw0", {"a:save"}), ("gw1", {"b:save"})):
        worker = _config(tmp_path)
        worker.workerinput = {**node.workerinput, "workerid": worker_id}
        monkeypatch.setattr(post_coverage, "_posted", seen)
        worker_session = _session(worker)
        post_coverage.pytest_sessionfinish(worker_session, 0)
        assert worker_session.exitstatus == 0  # a worker never judges alone
    monkeypatch.setattr(post_coverage, "_posted", set())
    session = _session(controller)

    post_coverage.pytest_sessionfinish(session, 0)

    assert session.exitstatus == 0
    assert post_coverage._state(controller)["failed"] == []


def test_looking_for_form_errors_never_evaluates_a_lazy_context_value():
    from django import forms
    from django.template import Context
    from django.utils.functional import SimpleLazyObject

    def explode():
        raise AssertionError("evaluated")

    class Shape(forms.Form):
        name = forms.CharField()

    context = Context({"school": SimpleLazyObject(explode), "forms": {"a": Shape(data={})}})

    assert post_coverage._has_form_errors(context)
    assert not post_coverage._has_form_errors(Context({"school": SimpleLazyObject(explode), "form": Shape()}))
