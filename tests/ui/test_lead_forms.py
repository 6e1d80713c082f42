"""New lead and edit lead: the API's validation and dedup, errors next to their fields."""

from decimal import Decimal

import pytest

from events.models import Event
from leads.models import Lead
from tests.factories import make_lead, stage_change

from .helpers import field_errors, form_errors, messages_shown

pytestmark = pytest.mark.django_db


def lead_data(**overrides) -> dict:
    data = {
        "name": "Asha Sharma", "phone": "+91 98765 43210", "email": "", "company": "", "city": "",
        "source": "Referral", "status": "New", "priority": "Medium", "tags": "", "deal_value": "",
        "notes": "",
    }  # fmt: skip
    return data | overrides


# --- New lead -----------------------------------------------------------------------------


def test_a_new_lead_is_created_assigned_to_the_rep(rep_client, rep):
    response = rep_client.post(
        "/leads/new/",
        lead_data(tags="hot, callback, Hot", deal_value="250000", company="Verma Traders"),
        follow=True,
    )
    lead = Lead.objects.get()
    assert response.redirect_chain == [(f"/leads/{lead.pk}/", 302)]
    assert messages_shown(response) == ["Created lead “Asha Sharma”."]
    assert lead.assigned_to == rep
    assert lead.phone_e164 == "+919876543210"
    assert lead.tags == ["hot", "callback"]
    assert lead.deal_value == Decimal("250000")
    assert lead.company == "Verma Traders"
    assert lead.email is None
    assert lead.city is None
    event = Event.objects.get(lead_id=lead.pk)
    assert (event.verb, event.channel, event.actor_email) == ("lead.created", "web", rep.email)


def test_a_duplicate_phone_shows_the_existing_lead_and_changes_nothing(rep_client, rep):
    existing = make_lead(
        name="Asha S", phone="098765-43210", company="Old Co", status="Qualified",
        tags=["vip"], assigned_to=rep,
    )  # fmt: skip
    before = Lead.objects.values().get(pk=existing.pk)
    response = rep_client.post("/leads/new/", lead_data(email="asha@example.com", tags="hot"))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="/leads/{existing.pk}/"' in page  # a link to the lead that has this phone
    assert "Asha S" in page
    assert f'name="merge_into" value="{existing.pk}"' in page  # and the explicit choice
    assert field_errors(response) == {"phone": ["The lead “Asha S” already has this phone."]}
    assert 'value="Asha Sharma"' in page  # what the rep typed is still in the form
    assert Lead.objects.count() == 1
    assert Lead.objects.values().get(pk=existing.pk) == before  # name, source, phone unchanged
    assert not Event.objects.filter(lead_id=existing.pk).exists()


def test_merging_into_the_duplicate_is_an_explicit_second_step(rep_client, rep):
    existing = make_lead(
        name="Asha S", phone="098765-43210", company="Old Co", status="Qualified",
        tags=["vip"], assigned_to=rep,
    )  # fmt: skip
    response = rep_client.post(
        "/leads/new/",
        lead_data(email="asha@example.com", tags="hot", merge_into=str(existing.pk)),
        follow=True,
    )
    assert response.redirect_chain == [(f"/leads/{existing.pk}/", 302)]
    assert messages_shown(response) == ["Merged your details into “Asha Sharma”."]
    assert Lead.objects.count() == 1
    existing.refresh_from_db()
    # What the rep typed overwrites; what they left empty or at its default is kept.
    assert (existing.name, existing.email) == ("Asha Sharma", "asha@example.com")
    assert (existing.company, existing.status) == ("Old Co", "Qualified")
    assert existing.tags == ["vip", "hot"]
    assert Event.objects.get(lead_id=existing.pk).verb == "lead.merged"


def test_a_duplicate_email_matches_case_insensitively(admin_client):
    existing = make_lead(name="Ravi", email="Ravi.K@Example.com")
    response = admin_client.post(
        "/leads/new/", lead_data(phone="", email="ravi.k@example.com", status="Contacted")
    )
    assert response.status_code == 400
    assert field_errors(response) == {"email": ["The lead “Ravi” already has this email."]}
    existing.refresh_from_db()
    assert existing.status == "New"


def test_merging_into_a_lead_the_rep_cannot_see_is_not_found(rep_client, other_rep):
    hidden = make_lead(name="Sara's lead", phone="+919876543210", assigned_to=other_rep)
    response = rep_client.post("/leads/new/", lead_data(merge_into=str(hidden.pk)))
    assert response.status_code == 404
    hidden.refresh_from_db()
    assert hidden.name == "Sara's lead"


def test_a_duplicate_of_a_lead_the_rep_cannot_see_is_a_conflict(rep_client, other_rep):
    make_lead(name="Sara's lead", phone="+919876543210", assigned_to=other_rep)
    response = rep_client.post("/leads/new/", lead_data())
    assert response.status_code == 400
    assert form_errors(response) == [
        "A lead with this phone or email already exists and is not assigned to you."
    ]
    assert "phone" not in field_errors(response)  # which of the two matched is not revealed
    assert Lead.objects.get().name == "Sara's lead"  # neither merged nor duplicated
    assert "Sara" not in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"phone": "", "email": ""}, "phone", "Provide a phone or an email (or both)."),
        ({"phone": "12"}, "phone", "This is not a possible phone number for its country."),
        ({"phone": "call me"}, "phone",
         "Enter a phone number with digits only, e.g. +91 98765 43210."),
        ({"phone": "+91 98765 4321O"}, "phone",
         "Enter a phone number with digits only, e.g. +91 98765 43210."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"deal_value": "-1"}, "deal_value", "Must be 0 or more."),
        ({"deal_value": "lots"}, "deal_value", "Enter a number."),
        # A number input takes an exponent: too big for Decimal to round to cents (was a 500).
        ({"deal_value": "1e30"}, "deal_value", "At most 12 digits before the point."),
        ({"status": "Sleeping"}, "status",
         "Select a valid choice. Sleeping is not one of the available choices."),
        ({"tags": "x" * 51}, "tags", "Each tag is at most 50 characters."),
        ({"tags": ",".join(f"t{n}" for n in range(51))}, "tags", "At most 50 tags."),
        ({"source": ""}, "source", "This field is required."),
    ],
)  # fmt: skip
def test_invalid_input_is_shown_next_to_its_field(rep_client, overrides, field, message):
    response = rep_client.post("/leads/new/", lead_data(**overrides))
    assert response.status_code == 400
    assert field_errors(response) == {field: [message]}
    assert not Lead.objects.exists()


def test_the_form_keeps_what_was_typed_after_an_error(rep_client):
    response = rep_client.post("/leads/new/", lead_data(phone="12", company="Nimbus Tech"))
    assert 'value="Nimbus Tech"' in response.content.decode()


def test_an_admin_can_assign_a_new_lead_to_a_rep(admin_client, rep):
    admin_client.post("/leads/new/", lead_data(assigned_to=rep.pk))
    assert Lead.objects.get().assigned_to == rep


def test_a_rep_has_no_assignee_field_and_cannot_assign_to_someone_else(rep_client, rep, other_rep):
    assert 'name="assigned_to"' not in rep_client.get("/leads/new/").content.decode()
    rep_client.post("/leads/new/", lead_data(assigned_to=other_rep.pk))
    assert Lead.objects.get().assigned_to == rep


def test_the_source_field_suggests_sources_in_use(rep_client, rep):
    make_lead(source="Trade fair", assigned_to=rep)
    page = rep_client.get("/leads/new/").content.decode()
    assert '<option value="Trade fair">' in page
    assert '<option value="Referral">' in page


# --- Edit ---------------------------------------------------------------------------------


def test_edit_shows_the_lead_and_saves_changes(rep_client, rep):
    lead = make_lead(name="Karan", phone="+919812345678", company="Old", tags=["a", "b"],
                     assigned_to=rep)  # fmt: skip
    page = rep_client.get(f"/leads/{lead.pk}/edit/").content.decode()
    assert 'value="Karan"' in page
    assert 'value="a, b"' in page
    response = rep_client.post(
        f"/leads/{lead.pk}/edit/",
        lead_data(
            name="Karan Mehta",
            phone="+919812345678",
            company="",
            tags="c",
            status="Qualified",
            deal_value="1200.50",
        ),
        follow=True,
    )
    assert response.redirect_chain == [(f"/leads/{lead.pk}/", 302)]
    assert messages_shown(response) == ["Saved changes to “Karan Mehta”."]
    lead.refresh_from_db()
    assert (lead.name, lead.company, lead.status) == ("Karan Mehta", None, "Qualified")
    assert lead.tags == ["c"]  # tags given on an edit replace the lead's tags
    assert lead.deal_value == Decimal("1200.50")
    event = Event.objects.get(lead_id=lead.pk)  # one edit, one event with every change
    assert event.verb == "lead.updated"
    assert event.changes == {
        "name": ["Karan", "Karan Mehta"], "company": ["Old", None], "source": ["API", "Referral"],
        **stage_change("New", "Qualified"), "tags": [["a", "b"], ["c"]],
        "deal_value": [None, 1200.5],
    }  # fmt: skip


def test_an_edit_that_changes_nothing_says_so(rep_client, rep):
    lead = make_lead(name="Asha Sharma", phone="+91 98765 43210", source="Referral",
                     assigned_to=rep)  # fmt: skip
    response = rep_client.post(f"/leads/{lead.pk}/edit/", lead_data(), follow=True)
    assert messages_shown(response) == ["Nothing changed."]
    assert not Event.objects.filter(lead_id=lead.pk).exists()


def test_editing_to_a_phone_another_lead_has_is_a_conflict_on_the_phone(rep_client, rep):
    make_lead(name="Other", phone="+919811111111", assigned_to=rep)
    lead = make_lead(name="Mine", phone="+919822222222", source="Referral", assigned_to=rep)
    response = rep_client.post(
        f"/leads/{lead.pk}/edit/", lead_data(name="Mine", phone="09811111111")
    )
    assert response.status_code == 400
    assert field_errors(response) == {"phone": ["Another lead already has this phone."]}
    lead.refresh_from_db()
    assert lead.phone == "+919822222222"


def test_an_admin_can_reassign_and_unassign(admin_client, rep, other_rep):
    lead = make_lead(name="Asha Sharma", source="Referral", assigned_to=rep)
    admin_client.post(f"/leads/{lead.pk}/edit/", lead_data(assigned_to=other_rep.pk))
    lead.refresh_from_db()
    assert lead.assigned_to == other_rep
    admin_client.post(f"/leads/{lead.pk}/edit/", lead_data(assigned_to=""))
    lead.refresh_from_db()
    assert lead.assigned_to is None


def test_a_rep_editing_keeps_the_lead_theirs(rep_client, rep, other_rep):
    lead = make_lead(name="Asha Sharma", source="Referral", assigned_to=rep)
    rep_client.post(f"/leads/{lead.pk}/edit/", lead_data(assigned_to=other_rep.pk))
    lead.refresh_from_db()
    assert lead.assigned_to == rep


# --- Delete -------------------------------------------------------------------------------


def test_delete_asks_first_saying_it_is_permanent(rep_client, rep):
    lead = make_lead(name="Meera", assigned_to=rep)
    page = rep_client.get(f"/leads/{lead.pk}/delete/").content.decode()
    assert "This is permanent and cannot be undone." in page
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_delete_removes_the_lead_and_its_calls(rep_client, rep):
    lead = make_lead(name="Meera", assigned_to=rep)
    lead.calls.create(call_type="Inbound", duration_seconds=10)
    response = rep_client.post(f"/leads/{lead.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/leads/", 302)]
    assert messages_shown(response) == ["Deleted lead “Meera” permanently."]
    assert not Lead.objects.exists()
    assert Event.objects.filter(verb="lead.deleted", subject_id=str(lead.pk)).exists()


def test_editing_a_lead_of_a_deactivated_rep_keeps_its_assignee(admin_client, rep):
    lead = make_lead(name="Asha Sharma", source="Referral", assigned_to=rep)
    rep.is_active = False
    rep.save()
    admin_client.post(f"/leads/{lead.pk}/edit/", lead_data(status="Won", assigned_to=rep.pk))
    lead.refresh_from_db()
    assert (lead.status, lead.assigned_to) == ("Won", rep)
    new_form = admin_client.get("/leads/new/").content.decode()
    assert f'<option value="{rep.pk}">' not in new_form  # not offered for new leads


def test_editing_to_an_email_another_lead_has_is_a_conflict_on_the_email(rep_client, rep):
    make_lead(name="Other", email="taken@example.com", assigned_to=rep)
    lead = make_lead(name="Mine", phone="+919822222222", source="Referral", assigned_to=rep)
    response = rep_client.post(
        f"/leads/{lead.pk}/edit/",
        lead_data(name="Mine", phone="+919822222222", email="TAKEN@example.com"),
    )
    assert response.status_code == 400
    assert field_errors(response) == {"email": ["Another lead already has this email."]}
