"""The pages of every demo model answer."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_dashboard_lists_every_table_with_its_count(client: FlaskClient) -> None:
    page = client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="count-hero">3<' in page
    assert 'data-testid="count-userdata">6<' in page


def test_root_redirects_to_the_dashboard(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
