import pytest

pytestmark = pytest.mark.django_db


def test_not_found_page_says_so_in_the_portal_layout(client, parent_b):
    client.force_login(parent_b)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert 'id="main-content"' in response.content.decode()
