"""A form with mistakes shows every one of them on the first submit, each next to its field and
named by the field's aria-describedby (Django points it at "<auto_id>_error")."""

import html
import re

import pytest

from leads.models import Lead
from leads.rules import NOTES_MAX_LENGTH
from tests.factories import make_lead

from .test_help_texts_described import described

pytestmark = pytest.mark.django_db


def errors_of(page: str) -> dict[str, str]:
    """Each field's error container (id "<auto_id>_error") → its text."""
    return {
        field: html.unescape(re.sub(r"<[^>]+>", " ", body)).strip()
        for field, body in re.findall(r'id="(id_[\w-]+)_error"[^>]*>(.*?)</div></div>', page, re.S)
    }


def test_a_new_lead_shows_every_mistake_at_once(rep_client):
    response = rep_client.post(
        "/leads/new/",
        {"name": "", "phone": "+91 12345", "email": "bad", "source": "Web", "deal_value": "-3",
         "status": "New", "priority": "Medium"},
    )  # fmt: skip
    page = response.content.decode()
    errors = errors_of(page)
    assert set(errors) == {"id_name", "id_phone", "id_email", "id_deal_value"}
    assert "required" in errors["id_name"]
    assert "possible phone number" in errors["id_phone"]
    assert "valid email" in errors["id_email"]
    assert "0 or more" in errors["id_deal_value"]
    for target, text in described(page).items():
        assert text, f"aria-describedby names #{target}, which is not on the page"
    assert not Lead.objects.exists()


def test_a_lead_without_phone_or_email_is_told_so_with_the_other_mistakes(rep_client):
    response = rep_client.post(
        "/leads/new/", {"name": "Asha", "source": "", "status": "New", "priority": "Medium"}
    )
    errors = errors_of(response.content.decode())
    assert set(errors) == {"id_source", "id_phone"}
    assert "phone or an email" in errors["id_phone"]


def test_a_lead_without_mistakes_goes_to_the_service_which_finds_the_duplicate(rep_client, rep):
    make_lead(name="Asha", phone="+919800001111", assigned_to=rep)
    response = rep_client.post(
        "/leads/new/",
        {"name": "Other", "phone": "098000 01111", "source": "Web", "status": "New",
         "priority": "Medium"},
    )  # fmt: skip
    assert response.status_code == 400
    assert Lead.objects.count() == 1  # the page offers the existing lead instead
    assert "Asha" in response.content.decode()


def test_notes_have_a_limit_on_the_pages_and_in_the_api(rep_client, rep_api):
    long = "x" * (NOTES_MAX_LENGTH + 1)
    response = rep_client.post(
        "/leads/new/",
        {"name": "Asha", "phone": "+91 98000 02222", "source": "Web", "status": "New",
         "priority": "Medium", "notes": long},
    )  # fmt: skip
    assert "id_notes" in errors_of(response.content.decode())
    answer = rep_api.post_json("/api/v1/leads", {"name": "Asha", "phone": "+91 98000 02222",
                                            "notes": long})  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "notes"
    assert not Lead.objects.exists()
    answer = rep_api.post_json("/api/v1/leads", {"name": "Asha", "phone": "+91 98000 02222",
                                            "notes": "x" * NOTES_MAX_LENGTH})  # fmt: skip
    assert answer.status_code == 201


def test_a_new_webhook_shows_its_url_and_events_mistakes_at_once(rep_client):
    response = rep_client.post(
        "/settings/integrations/webhooks/new/", {"url": "ftp://x.example.com/hook"}
    )
    page = response.content.decode()
    assert "must start with https://" in html.unescape(page)
    assert "Pick at least one event" in page
    assert 'id="id_url_error"' in page


def test_a_line_break_counts_as_one_character_as_the_browser_counts_it(rep_client, rep):
    lead = make_lead(name="Asha", assigned_to=rep)
    # 5,000 lines of one letter: 9,999 characters with LF line breaks, as the textarea's
    # maxlength counts them; the browser sends CR LF (14,998 characters on the wire).
    text = "\r\n".join(["x"] * 5000)
    response = rep_client.post(f"/leads/{lead.pk}/notes/", {"text": text})
    assert response.status_code == 302
    (note,) = lead.timeline_notes.all()
    assert note.text == "\n".join(["x"] * 5000)


def test_a_note_longer_than_a_leads_notes_is_refused(rep_client, rep):
    lead = make_lead(name="Asha", assigned_to=rep)
    response = rep_client.post(f"/leads/{lead.pk}/notes/", {"text": "x" * (NOTES_MAX_LENGTH + 1)})
    assert "id_text" in errors_of(response.content.decode())
    assert not lead.timeline_notes.exists()
