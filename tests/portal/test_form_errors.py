"""Every form in the project, posted empty, comes back as GOV.UK's error pattern: "Error: " at the
start of the <title>, an error summary at the top, and each of its links going to a field on the
page. The forms are found, not listed: each demo account (and a visitor signed out) crawls from
its start page, and every POST form with a required field is sent back with only its hidden
inputs, as a person pressing the button without filling anything in would.
"""

import datetime as dt
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.urls import Resolver404, resolve
from django.utils import timezone

from accounts.models import User
from portal.demo import demo_email, seed_demo_school
from sessionlogs.models import SessionLog

pytestmark = pytest.mark.django_db

PEOPLE = ("head", "dsl", "teacher1", "office", "parent1")
SKIPPED_PREFIXES = ("/django-admin/", "/static/", "/media/", "/accounts/logout/")
PAGES_PER_KIND = 2
# Pages that are not forms a person fills in, or whose POST is not one (sign-out).
SKIPPED_VIEWS = {"account_logout"}


class _Page(HTMLParser):
    """Links, and POST forms with their hidden inputs and whether anything visible is required."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self.ids = [], [], set()
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "hidden": {},
                "required": False,
                "visible": set(),
            }
        elif self._form is not None and tag in ("input", "select", "textarea"):
            if tag == "input" and attrs.get("type") == "hidden":
                self._form["hidden"][attrs.get("name")] = attrs.get("value") or ""
            else:
                if "required" in attrs:
                    self._form["required"] = True
                if attrs.get("name") and attrs.get("type") not in ("submit", "button", "file", "checkbox", "radio"):
                    self._form["visible"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["method"] == "post":
                self.forms.append(self._form)
            self._form = None


def _parse(html):
    page = _Page()
    page.feed(html)
    return page


def _kind(path):
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return f"unresolved:{path}"


def _local(page_url, href):
    url = urljoin(page_url, href)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if path.startswith(SKIPPED_PREFIXES) else path


def _title(html):
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    return " ".join(found.group(1).split()) if found else ""


def problems_with(html):
    """What is wrong with a page that should be showing errors ([] when it is right)."""
    problems = []
    if not _title(html).startswith("Error: "):
        problems.append(f"title is {_title(html)!r}")
    summary = re.search(r"<div[^>]*data-error-summary[^>]*>(.*?)</div>", html, re.S)
    if not summary:
        return [*problems, "no error summary"]
    ids = _parse(html).ids
    targets = re.findall(r'href="#([^"]*)"', summary.group(1))
    problems += [f"summary link #{t} goes to nothing on the page" for t in targets if t not in ids]
    if "This field is required" in html:
        problems.append('says "This field is required" instead of naming the field')
    return problems


def crawl_forms(client, start):
    """{(page kind, form action kind, hidden fields): (page path, form)} for every POST form found."""
    queue, seen, read, found = deque([start]), set(), {}, {}
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        kind = _kind(path)
        if read.get(kind, 0) >= PAGES_PER_KIND or kind in SKIPPED_VIEWS:
            continue
        response = client.get(path)
        if response.status_code in (301, 302, 303):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        read[kind] = read.get(kind, 0) + 1
        page = _parse(response.content.decode())
        for form in page.forms:
            action = _local(path, form["action"]) or path
            key = (kind, _kind(action), tuple(sorted(k for k in form["hidden"] if k != "csrfmiddlewaretoken")))
            if form["required"] and _kind(action) not in SKIPPED_VIEWS:
                found.setdefault(key, (path, action, form))
        queue.extend(p for p in (_local(path, href) for href in page.links) if p)
    return found


@pytest.fixture
def demo_school(settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    with time_machine.travel(timezone.now() - dt.timedelta(days=14)):
        seed_demo_school(timezone.now())
    seed_demo_school(timezone.now())
    assert SessionLog.objects.exists()


def _check_forms(client, start, who):
    failures, checked = [], 0
    for (_, action_kind, _), (page, action, form) in crawl_forms(client, start).items():
        response = client.post(action, form["hidden"])
        checked += 1
        if response.status_code != 200:
            failures.append(f"{who}: {page} -> {action_kind}: answered {response.status_code}, not the form with its errors")
            continue
        failures += [f"{who}: {page} -> {action_kind}: {p}" for p in problems_with(response.content.decode())]
    return failures, checked


def test_every_form_posted_empty_answers_with_the_error_pattern(client, demo_school):
    failures, checked = [], {}
    for name in PEOPLE:
        client.force_login(User.objects.get(email=demo_email(name)))
        found, checked[name] = _check_forms(client, "/", name)
        failures += found
        client.logout()
    found, checked["visitor"] = _check_forms(client, "/accounts/login/", "visitor")
    failures += found
    assert not failures, "Forms that do not answer an empty POST with the error pattern:\n" + "\n".join(failures)
    # The crawl really reached the forms people fill in.
    assert min(checked["teacher1"], checked["head"], checked["office"]) >= 3, checked
    assert checked["visitor"] >= 1, checked


# A value no field accepts: text fields refuse a null character, and number, date, time and
# choice fields cannot read it. Posted in every box a person types or picks in.
BAD_VALUE = "\x00"


def _check_forms_with_bad_values(client, start, who):
    failures, shown = [], 0
    for (_, action_kind, _), (page, action, form) in crawl_forms(client, start).items():
        response = client.post(action, {**form["hidden"], **dict.fromkeys(form["visible"], BAD_VALUE)})
        body = response.content.decode() if response.status_code == 200 else ""
        if "data-error-summary" not in body and "is-invalid" not in body:
            continue  # nothing typed was wrong for this form (or it is not a form one fills in)
        shown += 1
        if not _title(body).startswith("Error: "):
            failures.append(f"{who}: {page} -> {action_kind}: shows errors under the title {_title(body)!r}")
    return failures, shown


def test_every_form_posted_with_bad_values_says_error_in_its_title(client, demo_school):
    failures, shown = [], {}
    for name in PEOPLE:
        client.force_login(User.objects.get(email=demo_email(name)))
        found, shown[name] = _check_forms_with_bad_values(client, "/", name)
        failures += found
        client.logout()

    assert not failures, 'Pages showing errors without "Error: " at the start of the title:\n' + "\n".join(failures)
    assert min(shown["teacher1"], shown["head"], shown["office"]) >= 3, shown
