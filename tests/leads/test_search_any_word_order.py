"""The text search (`q`, shared by GET /api/v1/leads and the leads page) finds a lead by every
word of its name in any order and however the words are spaced: "Sharma Priya" and
"Priya  Sharma" both find Priya Sharma."""

import pytest

from tests.factories import make_lead
from tests.ui.helpers import lead_names

pytestmark = pytest.mark.django_db

QUERIES = ["Priya Sharma", "Sharma Priya", "Priya  Sharma", "  sharma\tPRIYA ", "Shar Pri"]


@pytest.fixture
def priya(admin_user):
    make_lead(name="Priya Verma", assigned_to=admin_user)
    make_lead(name="Rohan Sharma", assigned_to=admin_user)
    return make_lead(name="Priya Sharma", company="Acme", assigned_to=admin_user)


@pytest.mark.parametrize("query", QUERIES)
def test_api_q_finds_every_word_in_any_order(admin_api, priya, query):
    response = admin_api.get("/api/v1/leads", {"q": query})
    assert response.status_code == 200, response.content
    assert [lead["name"] for lead in response.json()["data"]] == ["Priya Sharma"]


@pytest.mark.parametrize("query", QUERIES)
def test_leads_page_search_finds_every_word_in_any_order(admin_client, priya, query):
    response = admin_client.get("/leads/", {"q": query})
    assert response.status_code == 200
    assert lead_names(response) == ["Priya Sharma"]


@pytest.mark.parametrize("query", QUERIES)
def test_export_search_finds_every_word_in_any_order(admin_client, priya, query):
    response = admin_client.get("/leads/export.csv", {"q": query})
    body = b"".join(response.streaming_content).decode()
    rows = body.strip().splitlines()[1:]
    assert len(rows) == 1
    assert "Priya Sharma" in rows[0]
