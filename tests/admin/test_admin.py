"""The Django admin writes through the services like every other adapter: the same rules, one
event per change, and no way around them (API-key allowlists, deletes, the event log)."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from apikeys.models import APIKey
from calls.models import CallLog
from events.models import Event
from leads.models import Lead
from tasks.models import Task
from tests.factories import make_call, make_key, make_lead, stage_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin_user):
    client.force_login(admin_user)
    return client


def lead_form(**overrides):
    return {
        "name": "Asha", "phone": "", "email": "", "source": "API", "status": "New",
        "priority": "Medium", "tags": "[]", **overrides,
    }  # fmt: skip


def test_every_model_is_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    assert {
        "accounts.User", "apikeys.APIKey", "leads.Lead", "leads.Note", "calls.CallLog",
        "events.Event",
    } <= registered  # fmt: skip


def test_changelists_and_change_pages_render_with_search_and_filters(browser, admin_user):
    lead = make_lead(name="Asha", assigned_to=admin_user)
    call = make_call(lead)
    key, _ = make_key(admin_user)
    browser.post(reverse("admin:leads_lead_change", args=[lead.pk]), lead_form(phone=lead.phone))
    event = Event.objects.get(lead_id=lead.pk)
    for model, obj in [("accounts_user", admin_user), ("leads_lead", lead),
                       ("calls_calllog", call), ("apikeys_apikey", key),
                       ("events_event", event)]:  # fmt: skip
        changelist = reverse(f"admin:{model}_changelist")
        assert browser.get(changelist).status_code == 200
        assert browser.get(changelist, {"q": "asha"}).status_code == 200
        assert browser.get(reverse(f"admin:{model}_change", args=[obj.pk])).status_code == 200
    assert browser.get(reverse("admin:leads_note_changelist")).status_code == 200


def test_admin_validates_leads_with_the_lead_rules(browser):
    response = browser.post(reverse("admin:leads_lead_add"), lead_form(name="Bad", phone="12"))
    assert response.status_code == 200
    assert "not a possible phone number" in response.content.decode()
    response = browser.post(reverse("admin:leads_lead_add"), lead_form(phone="+91 98765 4321O"))
    assert response.status_code == 200
    assert "digits only" in response.content.decode()
    response = browser.post(
        reverse("admin:leads_lead_add"), lead_form(name="Good", phone="098765 43210")
    )
    assert response.status_code == 302
    assert Lead.objects.get(name="Good").phone_e164 == "+919876543210"


def test_admin_refuses_a_second_lead_with_the_same_phone_or_email(browser):
    make_lead(name="First", phone="+919876543210", email="first@example.com")
    for overrides, field in [({"phone": "09876543210"}, "phone"),
                             ({"email": "FIRST@example.com"}, "email")]:  # fmt: skip
        response = browser.post(reverse("admin:leads_lead_add"), lead_form(**overrides))
        assert response.status_code == 200
        assert f"The lead “First” already has this {field}." in response.content.decode()
    assert Lead.objects.count() == 1
    assert Lead.objects.get().name == "First"  # not merged into, either


@pytest.mark.parametrize("tags", ['{"a": 1}', "[1, 2]", '"vip"', f'["{"x" * 51}"]'])
def test_admin_requires_tags_to_be_a_list_of_short_strings(browser, tags):
    response = browser.post(
        reverse("admin:leads_lead_add"), lead_form(phone="9800000001", tags=tags)
    )
    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_admin_edits_go_through_the_services_as_one_event(browser, admin_user):
    lead = make_lead(name="Asha", phone="+919800000002", status="New", company="Acme")
    response = browser.post(
        reverse("admin:leads_lead_change", args=[lead.pk]),
        lead_form(name="Asha Verma", phone="+919800000002", status="Won", company=""),
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.status, lead.company) == ("Asha Verma", "Won", None)
    event = Event.objects.get(lead_id=lead.pk)
    assert (event.verb, event.channel, event.actor) == ("lead.updated", "admin", admin_user)
    assert event.changes == {
        "name": ["Asha", "Asha Verma"], "company": ["Acme", None], **stage_change("New", "Won"),
    }  # fmt: skip


def test_admin_adds_go_through_the_services(browser):
    response = browser.post(reverse("admin:leads_lead_add"), lead_form(phone="98000 00003"))
    assert response.status_code == 302
    lead = Lead.objects.get()
    event = Event.objects.get(lead_id=lead.pk)
    assert (event.verb, event.channel) == ("lead.created", "admin")


def test_deleting_a_lead_in_the_admin_goes_through_the_service(browser, admin_user):
    lead = make_lead(name="Gone")
    make_call(lead)
    response = browser.post(reverse("admin:leads_lead_delete", args=[lead.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Lead.objects.exists()
    event = Event.objects.get(subject_id=str(lead.pk), verb="lead.deleted")
    assert (event.channel, event.actor, event.snapshot["name"]) == ("admin", admin_user, "Gone")


def test_deleting_leads_in_bulk_in_the_admin_records_each(browser):
    leads = [make_lead(), make_lead(), make_lead()]
    response = browser.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [str(lead.pk) for lead in leads],
         "post": "yes"},
    )  # fmt: skip
    assert response.status_code == 302
    assert not Lead.objects.exists()
    assert Event.objects.filter(verb="lead.deleted", channel="admin").count() == 3


def test_deleting_users_in_bulk_in_the_admin_deletes_one_at_a_time(browser, rep, other_rep):
    """Each user's counts move to nobody and the user goes before the next user's turn (one
    transaction each): one queryset delete moved every user's counts first, then deleted them
    all, holding one user's count rows while it locked the next one's leads."""
    from tests.calls.test_tally import assert_counts_match as assert_call_counts_match
    from tests.leads.test_tally import assert_counts_match as assert_lead_counts_match

    for user in (rep, other_rep):
        for _ in range(2):
            make_call(make_lead(assigned_to=user))
    with CaptureQueriesContext(connection) as captured:
        response = browser.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "delete_selected", "_selected_action": [str(rep.pk), str(other_rep.pk)],
             "post": "yes"},
        )  # fmt: skip
    assert response.status_code == 302
    steps = {"INSERT INTO calls_calltally": "calls", "INSERT INTO leads_leadtally": "leads",
             'DELETE FROM "accounts_user"': "user"}  # fmt: skip
    order = [name for query in captured for start, name in steps.items()
             if query["sql"].startswith(start)]  # fmt: skip
    assert order == ["calls", "leads", "user", "calls", "leads", "user"]
    assert not User.objects.filter(pk__in=[rep.pk, other_rep.pk]).exists()
    assert Lead.objects.filter(assigned_to=None).count() == 4
    assert_lead_counts_match()
    assert_call_counts_match()


def test_calls_added_edited_and_deleted_in_the_admin_go_through_the_services(browser):
    lead = make_lead()
    form = {"lead": str(lead.pk), "call_type": "Inbound", "duration_seconds": "0",
            "outcome": "Missed", "notes": "", "called_at_0": "2026-01-05",
            "called_at_1": "10:00:00"}  # fmt: skip
    assert browser.post(reverse("admin:calls_calllog_add"), form).status_code == 302
    call = CallLog.objects.get()
    edit = {**form, "outcome": "Completed", "duration_seconds": "65"}
    del edit["lead"]
    response = browser.post(reverse("admin:calls_calllog_change", args=[call.pk]), edit)
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.outcome, call.duration_seconds) == ("Completed", 65)
    response = browser.post(reverse("admin:calls_calllog_delete", args=[call.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not CallLog.objects.exists()
    events = Event.objects.filter(subject_id=str(call.pk)).order_by("id")
    assert [(e.verb, e.channel) for e in events] == [
        ("call_log.created", "admin"), ("call_log.updated", "admin"), ("call_log.deleted", "admin"),
    ]  # fmt: skip
    assert events[1].changes == {
        "duration_seconds": [0, 65], "outcome": ["Missed", "Completed"],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("call_type", "duration", "outcome"),
    [("Inbound", "0", "Missed"), ("Outbound", "0", "No Answer"), ("Inbound", "30", "Completed")],
)
def test_the_admins_call_form_preselects_no_outcome_and_auto_follows_the_duration(
    browser, call_type, duration, outcome
):
    page = browser.get(reverse("admin:calls_calllog_add")).content.decode()
    assert '<option value="" selected>Auto' in page
    lead = make_lead()
    form = {"lead": str(lead.pk), "call_type": call_type, "duration_seconds": duration,
            "outcome": "", "notes": "", "called_at_0": "2026-01-05",
            "called_at_1": "10:00:00"}  # fmt: skip
    assert browser.post(reverse("admin:calls_calllog_add"), form).status_code == 302
    assert CallLog.objects.get().outcome == outcome
    # A missed inbound call asks for a call-back, as the same call logged anywhere else does.
    assert Task.objects.filter(lead=lead).count() == (outcome == "Missed")


def test_an_invalid_call_is_refused_in_the_admin(browser):
    lead = make_lead()
    form = {"lead": str(lead.pk), "call_type": "Inbound", "duration_seconds": "5",
            "outcome": "Completed", "notes": "", "called_at_0": "1999-01-05",
            "called_at_1": "10:00:00"}  # fmt: skip
    response = browser.post(reverse("admin:calls_calllog_add"), form)
    assert response.status_code == 200
    assert "Must be between 2000-01-01 and now" in response.content.decode()
    assert not CallLog.objects.exists()


def test_events_are_read_only_in_the_admin(browser):
    lead = make_lead()
    browser.post(reverse("admin:leads_lead_change", args=[lead.pk]), lead_form(phone=lead.phone))
    event = Event.objects.get()
    assert browser.get(reverse("admin:events_event_add")).status_code == 403
    response = browser.post(reverse("admin:events_event_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    response = browser.post(
        reverse("admin:events_event_change", args=[event.pk]), {"verb": "lead.deleted"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.verb == "lead.updated"


# --- API keys ---------------------------------------------------------------------------


def key_form(key: APIKey, **overrides) -> dict:
    return {
        "name": key.name, "user": str(key.user_id), "can_read": "on", "can_write": "on",
        "allowed_ips": "", "rate_limit_per_minute": "100", **overrides,
    }  # fmt: skip


def test_api_keys_cannot_be_added_or_deleted_in_the_admin(browser, admin_user):
    key, _ = make_key(admin_user)
    assert browser.get(reverse("admin:apikeys_apikey_add")).status_code == 403
    response = browser.post(reverse("admin:apikeys_apikey_delete", args=[key.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert APIKey.objects.filter(pk=key.pk).exists()


@pytest.mark.parametrize(
    "allowlist",
    ["10.0.0.1/8", "999.1.1.1", "::1/129", "not-an-ip", "10.0.0.0/8\nbad"],
)
def test_an_invalid_allowlist_is_refused_in_the_admin(browser, admin_user, allowlist):
    key, _ = make_key(admin_user)
    url = reverse("admin:apikeys_apikey_change", args=[key.pk])
    response = browser.post(url, key_form(key, allowed_ips=allowlist))
    assert response.status_code == 200
    assert "is not an IP address or CIDR range" in response.content.decode()
    key.refresh_from_db()
    assert key.allowed_ips == []
    assert not Event.objects.filter(verb="api_key.updated").exists()


def test_admin_key_edits_are_validated_normalized_and_recorded(browser, admin_user, client_for):
    key, raw = make_key(admin_user)
    url = reverse("admin:apikeys_apikey_change", args=[key.pk])
    response = browser.post(url, key_form(key, allowed_ips="127.0.0.1\n2001:db8::/32"))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.allowed_ips == ["127.0.0.1/32", "2001:db8::/32"]
    event = Event.objects.get(verb="api_key.updated")
    assert (event.channel, event.actor) == ("admin", admin_user)
    assert event.changes["allowed_ips"] == [[], ["127.0.0.1/32", "2001:db8::/32"]]
    # The key still works from an allowed address.
    from tests.conftest import KeyClient

    assert KeyClient(raw).get("/api/v1/leads").status_code == 200


def test_admin_revokes_keys_through_the_service(browser, admin_user):
    key, _ = make_key(admin_user)
    response = browser.post(
        reverse("admin:apikeys_apikey_changelist"),
        {"action": "revoke", "_selected_action": [str(key.pk)]},
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert Event.objects.filter(subject_id=str(key.pk)).latest("id").verb == "api_key.revoked"


@pytest.mark.parametrize(
    "stored",
    [["10.0.0.1/8"], ["999.1.1.1"], ["::1/129"], ["not-an-ip"], "10.0.0.1", {"a": 1}, [42]],
)
def test_a_key_with_an_allowlist_stored_around_the_app_answers_403_not_500(admin_user, stored):
    key, raw = make_key(admin_user)
    APIKey.objects.filter(pk=key.pk).update(allowed_ips=stored)  # e.g. a manual SQL edit
    from tests.conftest import KeyClient

    response = KeyClient(raw).get("/api/v1/leads")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_user_added_with_a_mixed_case_email_is_stored_lowercased(browser):
    password = "A-long-enough-passphrase-42"
    response = browser.post(
        "/admin/accounts/user/add/",
        {"email": " New.Person@Example.com ", "password1": password, "password2": password},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(email="new.person@example.com").exists()
    again = browser.post(
        "/admin/accounts/user/add/",
        {"email": "NEW.PERSON@example.com", "password1": password, "password2": password},
    )
    assert again.status_code == 200
    assert "already exists" in again.content.decode()
    assert User.objects.filter(email__iexact="new.person@example.com").count() == 1
