"""Whatever a person types is shown as text, never run as markup."""

import pytest

from calls.services import call_log
from events.models import Channel
from events.services import Actor
from leads.services import lead_add_note
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(2)>'


def test_lead_fields_notes_and_calls_are_escaped_on_every_page(rep_client, rep):
    lead = make_lead(name=SCRIPT, company=IMAGE, city=SCRIPT, source=SCRIPT, tags=[SCRIPT],
                     notes=IMAGE, email="x@example.com", assigned_to=rep)  # fmt: skip
    actor = Actor(user=rep, channel=Channel.WEB)
    lead_add_note(actor=actor, lead=lead, text=SCRIPT)
    call_log(actor=actor, lead_id=lead.pk, call_type="Inbound", duration_seconds=0, notes=IMAGE)
    pages = ["/", "/leads/", f"/leads/?q={IMAGE}", "/calls/", f"/leads/{lead.pk}/",
             f"/leads/{lead.pk}/edit/", f"/leads/{lead.pk}/delete/", "/leads/new/",
             f"/calls/?lead={lead.pk}"]  # fmt: skip
    for path in pages:
        html = rep_client.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
    detail = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in detail


def test_messages_escape_the_lead_name(rep_client):
    data = {"name": SCRIPT, "phone": "+919876543210", "source": "Web", "status": "New",
            "priority": "Medium"}  # fmt: skip
    response = rep_client.post("/leads/new/", data, follow=True)
    html = response.content.decode()
    assert "Created lead “&lt;script&gt;alert(1)&lt;/script&gt;”." in html
    assert "<script>alert" not in html
