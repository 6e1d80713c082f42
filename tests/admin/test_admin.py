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
