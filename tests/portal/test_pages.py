import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_policy_page_is_public_and_shows_version_and_review_date(client):
    response = client.get("/policy/")

    assert response.status_code == 200
    assert b"2020-09" in response.content
    assert b"Wed 1 Sep 2021" in response.content


@pytest.mark.policy("COM-6")
def test_policy_page_publishes_the_policy_text(client):
    response = client.get(reverse("governance:policy"))

    assert b"Ernesford Grange" in response.content
    assert b"Next review" in response.content


def test_login_page_answers_anyone(client):
    assert client.get("/accounts/login/").status_code == 200


def test_home_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_public_sign_up_is_closed(client):
    response = client.get("/accounts/signup/")

    assert b"Sign Up Closed" in response.content or response.status_code in {403, 404}


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.parametrize(
    ("fixture", "label"),
    [
        ("head", "Headteacher"),
        ("deputy", "Deputy head"),
        ("dsl", "Designated Safeguarding Lead"),
        ("ddsl", "Deputy DSL"),
        ("teacher", "Teacher"),
        ("office", "Office"),
        ("parent_a", "Parent/carer"),
    ],
)
def test_dashboard_names_the_role(client, request, fixture, label):
    client.force_login(request.getfixturevalue(fixture))

    response = client.get("/")

    assert response.status_code == 200
    assert label in response.content.decode()
