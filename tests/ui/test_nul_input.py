"""No text a person sends to a page may hold a NUL character: a 400 naming the field, never a
server error (PostgreSQL cannot compare or store one)."""

import pytest

from leads.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/leads/", "/leads/export.csv", "/calls/"])
@pytest.mark.parametrize("field", ["source", "q", "status", "outcome"])
def test_a_nul_in_a_filter_is_a_400_naming_it(rep_client, path, field):
    response = rep_client.get(path, {field: "IVR\x00"})
    assert response.status_code == 400
    assert f"“{field}”" in response.content.decode()
    # The site's own page (its language, its layout), not a bare fragment.
    assert response.templates[0].name == "400.html"
    assert '<html lang="en"' in response.content.decode()
    assert "Log out" in response.content.decode()  # the signed-in user's menu, as on any page
    assert response["X-Frame-Options"] == "DENY"


def test_a_nul_in_a_form_field_is_a_400_and_saves_nothing(rep_client):
    response = rep_client.post("/leads/new/", {"name": "Asha\x00", "phone": "9876543210",
                                               "source": "Web", "status": "New",
                                               "priority": "Medium"})  # fmt: skip
    assert response.status_code == 400
    assert "“name”" in response.content.decode()
    assert not Lead.objects.exists()


def test_a_nul_in_the_admin_search_is_a_400(admin_client):
    make_lead(name="Asha")
    response = admin_client.get("/admin/leads/lead/", {"q": "As\x00ha"})
    assert response.status_code == 400
    assert "“q”" in response.content.decode()


def test_a_nul_in_a_field_name_is_named_without_it(rep_client):
    response = rep_client.get("/leads/", {"so\x00urce": "IVR"})
    assert response.status_code == 400
    assert "“source”" in response.content.decode()
