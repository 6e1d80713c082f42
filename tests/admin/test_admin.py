import pytest
from django.contrib import admin
from django.urls import reverse

from audit.models import AuditLog
from leads.models import Lead
from tests.factories import make_call, make_key, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin_user):
    client.force_login(admin_user)
    return client


def test_every_model_is_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    assert {
        "accounts.User", "apikeys.APIKey", "leads.Lead", "leads.Activity", "calls.CallLog",
        "audit.AuditLog",
    } <= registered  # fmt: skip


def test_changelists_and_change_pages_render_with_search_and_filters(browser, admin_user):
    lead = make_lead(name="Asha", assigned_to=admin_user)
    call = make_call(lead)
    key, _ = make_key(admin_user)
    AuditLog.objects.create(action="lead.create", object_type="lead", object_id=str(lead.pk))
    for model, obj in [("accounts_user", admin_user), ("leads_lead", lead),
                       ("calls_calllog", call), ("apikeys_apikey", key)]:  # fmt: skip
        changelist = reverse(f"admin:{model}_changelist")
        assert browser.get(changelist).status_code == 200
        assert browser.get(changelist, {"q": "asha"}).status_code == 200
        assert browser.get(reverse(f"admin:{model}_change", args=[obj.pk])).status_code == 200
    assert browser.get(reverse("admin:leads_activity_changelist")).status_code == 200
    assert browser.get(reverse("admin:audit_auditlog_changelist")).status_code == 200


def test_admin_lead_form_validates_the_phone_and_keeps_dedup_keys(browser):
    response = browser.post(
        reverse("admin:leads_lead_add"),
        {"name": "Bad", "phone": "12", "source": "API", "status": "New", "priority": "Medium",
         "tags": "[]", "activities-TOTAL_FORMS": 0, "activities-INITIAL_FORMS": 0},
    )  # fmt: skip
    assert response.status_code == 200
    assert "not a possible phone number" in response.content.decode()
    response = browser.post(
        reverse("admin:leads_lead_add"),
        {"name": "Good", "phone": "098765 43210", "source": "API", "status": "New",
         "priority": "Medium", "tags": "[]", "activities-TOTAL_FORMS": 0,
         "activities-INITIAL_FORMS": 0},
    )  # fmt: skip
    assert response.status_code == 302
    assert Lead.objects.get(name="Good").phone_e164 == "+919876543210"


def test_api_keys_cannot_be_added_in_the_admin(browser):
    assert browser.get(reverse("admin:apikeys_apikey_add")).status_code == 403


def lead_form(**overrides):
    return {
        "name": "Asha", "phone": "", "email": "", "source": "API", "status": "New",
        "priority": "Medium", "tags": "[]", "activities-TOTAL_FORMS": 0,
        "activities-INITIAL_FORMS": 0, **overrides,
    }  # fmt: skip


def test_admin_refuses_a_second_lead_with_the_same_phone_or_email(browser):
    make_lead(name="First", phone="+919876543210", email="first@example.com")
    for overrides, field in [({"phone": "09876543210"}, "phone"),
                             ({"email": "FIRST@example.com"}, "email")]:  # fmt: skip
        response = browser.post(reverse("admin:leads_lead_add"), lead_form(**overrides))
        assert response.status_code == 200
        assert f"The lead “First” already has this {field}." in response.content.decode()
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("tags", ['{"a": 1}', "[1, 2]", '"vip"', f'["{"x" * 51}"]'])
def test_admin_requires_tags_to_be_a_list_of_short_strings(browser, tags):
    response = browser.post(
        reverse("admin:leads_lead_add"), lead_form(phone="9800000001", tags=tags)
    )
    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_admin_edits_go_through_the_services_and_are_audited(browser, admin_user):
    lead = make_lead(name="Asha", phone="+919800000002", status="New")
    response = browser.post(
        reverse("admin:leads_lead_change", args=[lead.pk]),
        lead_form(name="Asha Verma", phone="+919800000002", status="Won", company=""),
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.name, lead.status, lead.company) == ("Asha Verma", "Won", None)
    kinds = set(lead.activities.values_list("kind", flat=True))
    assert {"status_changed", "updated"} <= kinds
    actions = set(AuditLog.objects.filter(object_id=str(lead.pk)).values_list("action", flat=True))
    assert {"lead.status", "lead.update"} <= actions


def test_admin_adds_go_through_the_services(browser):
    response = browser.post(reverse("admin:leads_lead_add"), lead_form(phone="98000 00003"))
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.activities.get().kind == "created"


def test_the_audit_log_cannot_be_deleted_in_the_admin(browser, admin_user):
    entry = AuditLog.objects.create(action="x", object_type="lead", object_id="1")
    response = browser.post(
        reverse("admin:audit_auditlog_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditLog.objects.filter(pk=entry.pk).exists()
