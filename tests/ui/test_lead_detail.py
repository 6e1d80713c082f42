"""A lead's page: fields, the timeline, and the quick actions."""

import datetime as dt
import re

import pytest

from calls.models import CallLog
from events.models import Channel, Event
from events.services import Actor
from leads.models import Note
from leads.services import lead_add_note
from pipelines.models import Stage
from pipelines.services import pipeline_create
from tests.factories import make_call, make_lead

from .helpers import field_errors, messages_shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(rep):
    return make_lead(
        name="Kavya Nair", phone="+91 98450 12345", email="kavya@example.com",
        company="Orbit Logistics", city="Kochi", source="Website", status="Contacted",
        priority="High", tags=["enterprise", "callback"], deal_value=1800000,
        notes="Prefers WhatsApp", assigned_to=rep,
    )  # fmt: skip


def test_shows_every_field_and_tag(rep_client, lead):
    page = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    for text in ["Kavya Nair", "+91 98450 12345", 'href="tel:+919845012345"', "kavya@example.com",
                 "Orbit Logistics", "Kochi", "Website", "₹18,00,000", "rep@example.com",
                 '<span class="tag">enterprise</span>', '<span class="tag">callback</span>',
                 "Prefers WhatsApp", '<span class="badge badge-contacted" id="lead-status">',
                 "High priority"]:  # fmt: skip
        assert text in page, text


def timeline(response) -> list[str]:
    html = response.content.decode().split('id="timeline-entries"')[1].split("</ol>")[0]
    return re.findall(r'data-kind="(\w+)"', html)


def test_timeline_merges_calls_and_activities_newest_first(rep_client, rep, lead):
    actor = Actor(user=rep, channel=Channel.WEB)
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    make_call(lead, called_at=base)
    lead_add_note(actor=actor, lead=lead, text="A note")
    Note.objects.filter(lead=lead).update(created_at=base + dt.timedelta(hours=1))
    make_call(lead, called_at=base + dt.timedelta(hours=2), call_type="Outbound", notes="Later")
    assert timeline(rep_client.get(f"/leads/{lead.pk}/")) == ["call", "note", "call"]


def test_log_a_call_then_see_it_on_the_timeline(rep_client, lead):
    response = rep_client.post(
        f"/leads/{lead.pk}/calls/",
        {"call_type": "Inbound", "duration": "2:05", "outcome": "", "notes": "Wants a quote"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/leads/{lead.pk}/#timeline", 302)]
    assert messages_shown(response) == ["Call logged: inbound, 2m 05s, Completed."]
    call = CallLog.objects.get()
    assert (call.call_type, call.duration_seconds, call.outcome) == ("Inbound", 125, "Completed")
    assert timeline(response) == ["call"]
    page = response.content.decode()
    assert "2m 05s" in page
    assert "Wants a quote" in page


def test_auto_outcome_is_missed_only_for_a_zero_second_inbound_call(rep_client, lead):
    """Issue 14: the form no longer defaults to a missed call. On "Auto", 0 s is Missed for an
    inbound call and No Answer for an outbound one; a call that lasted is Completed; an outcome
    the rep picks wins."""
    for call_type, seconds, outcome in [
        ("Inbound", "0", ""),
        ("Outbound", "0", ""),
        ("Outbound", "0:45", ""),
        ("Inbound", "0", "Busy"),
    ]:
        rep_client.post(
            f"/leads/{lead.pk}/calls/",
            {"call_type": call_type, "duration": seconds, "outcome": outcome},
        )
    assert list(CallLog.objects.order_by("created_at").values_list("outcome", flat=True)) == [
        "Missed", "No Answer", "Completed", "Busy",
    ]  # fmt: skip


def test_the_call_form_has_no_default_duration_or_outcome(rep_client, lead):
    page = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    duration_input = re.search(r'<input[^>]*name="duration"[^>]*>', page)[0]
    assert "value=" not in duration_input
    response = rep_client.post(f"/leads/{lead.pk}/calls/", {"call_type": "Outbound"})
    assert response.status_code == 400
    assert "duration" in field_errors(response)
    assert not CallLog.objects.exists()


def test_a_call_time_is_read_as_ist(rep_client, lead):
    rep_client.post(
        f"/leads/{lead.pk}/calls/",
        {"call_type": "Inbound", "duration": "30", "called_at": "2025-01-02T01:30"},
    )
    assert CallLog.objects.get().called_at == dt.datetime(2025, 1, 1, 20, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"duration": "soon"}, "duration", "Enter seconds (90) or minutes:seconds (1:30)."),
        ({"duration": "1:75"}, "duration", "Seconds after the colon must be below 60."),
        ({"duration": ""}, "duration", "This field is required."),
        ({"call_type": "Carrier pigeon"}, "call_type",
         "Select a valid choice. Carrier pigeon is not one of the available choices."),
        ({"called_at": "yesterday"}, "called_at", "Enter a valid date/time."),
        ({"called_at": "9999-12-31T23:59"}, "called_at",
         "Must be between 2000-01-01 and now (a day of clock skew is allowed)."),
        ({"called_at": "1990-01-01T10:00"}, "called_at",
         "Must be between 2000-01-01 and now (a day of clock skew is allowed)."),
    ],
)  # fmt: skip
def test_an_invalid_call_is_shown_next_to_its_field(rep_client, lead, data, field, message):
    response = rep_client.post(
        f"/leads/{lead.pk}/calls/", {"call_type": "Inbound", "duration": "30"} | data
    )
    assert response.status_code == 400
    assert field_errors(response) == {field: [message]}
    assert not CallLog.objects.exists()


def test_add_a_note(rep_client, rep, lead):
    response = rep_client.post(f"/leads/{lead.pk}/notes/", {"text": "  Call after 5 pm  "},
                               follow=True)  # fmt: skip
    assert messages_shown(response) == ["Note added."]
    note = Note.objects.get(lead=lead)
    assert (note.text, note.author) == ("Call after 5 pm", rep)
    event = Event.objects.get(lead_id=lead.pk, verb="lead.note_added")
    assert event.changes == {"text": [None, "Call after 5 pm"]}
    assert "Call after 5 pm" in response.content.decode()


def test_an_empty_note_is_an_error(rep_client, lead):
    response = rep_client.post(f"/leads/{lead.pk}/notes/", {"text": "   "})
    assert field_errors(response) == {"text": ["This field is required."]}


def test_change_status(rep_client, lead):
    response = rep_client.post(f"/leads/{lead.pk}/status/", {"status": "Won"}, follow=True)
    assert messages_shown(response) == ["Status changed to Won."]
    lead.refresh_from_db()
    assert lead.status == "Won"
    event = Event.objects.get(lead_id=lead.pk, verb="lead.updated")
    stages = {stage.name: str(stage.pk) for stage in Stage.objects.all()}
    assert event.changes == {
        "status": ["Contacted", "Won"],
        "stage": ["Contacted", "Won"],
        "stage_id": [stages["Contacted"], stages["Won"]],
    }
    assert "Status Contacted → Won." in response.content.decode()
    response = rep_client.post(f"/leads/{lead.pk}/status/", {"status": "Won"}, follow=True)
    assert messages_shown(response) == ["The status already was Won."]


def test_an_unknown_status_is_an_error(rep_client, lead):
    response = rep_client.post(f"/leads/{lead.pk}/status/", {"status": "Sold"})
    assert response.status_code == 400
    assert "Sold is not one of the available choices" in response.content.decode()


def test_move_to_a_stage_of_the_leads_pipeline(rep_client, lead):
    page = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Sales › <strong>Contacted</strong>" in page
    proposal = Stage.objects.get(pipeline__is_default=True, name="Proposal")
    response = rep_client.post(
        f"/leads/{lead.pk}/status/", {"stage": str(proposal.pk)}, follow=True
    )
    assert messages_shown(response) == ["Status changed to Proposal."]
    lead.refresh_from_db()
    assert (lead.stage, lead.status) == (proposal, "Proposal")


def test_a_stage_of_another_pipeline_is_not_offered(rep_client, lead):
    other = pipeline_create(
        actor=Actor.system(), fields={"name": "Other"}, stages=[{"name": "X", "status": "Won"}]
    )
    response = rep_client.post(f"/leads/{lead.pk}/status/", {"stage": str(other.stages.get().pk)})
    assert response.status_code == 400
    assert "stage" in field_errors(response)
    lead.refresh_from_db()
    assert lead.status == "Contacted"


def test_a_long_timeline_is_cut_with_a_link_to_all_of_it(rep_client, lead):
    for minute in range(105):
        make_call(lead, called_at=dt.datetime(2025, 1, 1, 0, minute % 60, tzinfo=dt.UTC)
                  + dt.timedelta(hours=minute // 60))  # fmt: skip
    response = rep_client.get(f"/leads/{lead.pk}/")
    assert len(timeline(response)) == 100
    assert "Show the whole timeline" in response.content.decode()
    assert len(timeline(rep_client.get(f"/leads/{lead.pk}/", {"timeline": "all"}))) == 105
