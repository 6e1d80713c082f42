import pytest

from events.models import Event
from leads.models import Lead
from tests.factories import stage_change

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def create(api, **body):
    response = api.post_json(LEADS, body)
    assert response.status_code == 201, response.content
    return response.json()["data"]


@pytest.mark.parametrize(
    "variant",
    [
        "+91 98765 43210",
        "098765-43210",
        "9876543210",
        "+919876543210",
        "0091 98765 43210",
        "(+91) 98765-43210",
    ],
)
def test_phone_formats_of_one_number_merge(admin_api, variant):
    original = create(admin_api, name="Asha", phone="+91 98765 43210")
    response = admin_api.post_json(LEADS, {"name": "Asha", "phone": variant})
    assert response.status_code == 200
    assert response.json()["data"]["id"] == original["id"]
    assert Lead.objects.count() == 1


def test_email_matches_case_insensitively(admin_api):
    original = create(admin_api, name="Ravi", email="Ravi.K@Example.com")
    response = admin_api.post_json(LEADS, {"name": "Ravi", "email": " ravi.k@EXAMPLE.com "})
    assert response.status_code == 200
    assert response.json()["data"]["id"] == original["id"]


def test_a_new_number_in_another_region_is_a_new_lead(admin_api):
    create(admin_api, name="India", phone="9876543210")
    assert admin_api.post_json(LEADS, {"name": "US", "phone": "+1 987 654 3210"}).status_code == 201


def test_merge_overwrites_sent_fields_and_keeps_omitted_ones(admin_api, rep):
    original = create(
        admin_api, name="Asha", phone="9876543210", company="Verma Traders", city="Pune",
        source="IVR", status="Qualified", priority="High", deal_value=5000, notes="first",
        assigned_to=rep.email,
    )  # fmt: skip
    merged = admin_api.post_json(
        LEADS, {"name": "Asha Verma", "phone": "9876543210", "city": "Mumbai", "notes": None}
    ).json()["data"]
    assert merged["name"] == "Asha Verma"
    assert merged["city"] == "Mumbai"
    assert merged["notes"] is None
    for kept in ["company", "deal_value", "assigned_to"]:
        assert merged[kept] == original[kept]


def test_defaults_never_overwrite_a_merged_lead(admin_api):
    create(admin_api, name="A", phone="9876543210", source="IVR", status="Won", priority="Low")
    merged = admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"}).json()["data"]
    assert (merged["source"], merged["status"], merged["priority"]) == ("IVR", "Won", "Low")


def test_sent_status_priority_and_source_do_overwrite(admin_api):
    create(admin_api, name="A", phone="9876543210", source="IVR", status="New", priority="Low")
    merged = admin_api.post_json(
        LEADS,
        {"name": "A", "phone": "9876543210", "source": "Web", "status": "Lost", "priority": "High"},
    ).json()["data"]
    assert (merged["source"], merged["status"], merged["priority"]) == ("Web", "Lost", "High")


def test_tags_are_unioned(admin_api):
    create(admin_api, name="A", phone="9876543210", tags=["hot", "ivr"])
    merged = admin_api.post_json(
        LEADS, {"name": "A", "phone": "9876543210", "tags": ["IVR", "callback"]}
    ).json()["data"]
    assert merged["tags"] == ["hot", "ivr", "callback"]


def test_merge_by_email_adds_the_new_phone(admin_api):
    original = create(admin_api, name="A", email="a@example.com")
    merged = admin_api.post_json(
        LEADS, {"name": "A", "email": "a@example.com", "phone": "9876543210"}
    ).json()["data"]
    assert merged["id"] == original["id"]
    assert Lead.objects.get(pk=original["id"]).phone_e164 == "+919876543210"


def test_phone_and_email_matching_two_leads_merges_into_the_phone_match(admin_api):
    by_phone = create(admin_api, name="Phone", phone="9876543210", email="phone@example.com")
    by_email = create(admin_api, name="Email", email="shared@example.com")
    response = admin_api.post_json(
        LEADS, {"name": "Both", "phone": "+919876543210", "email": "shared@example.com"}
    )
    assert response.status_code == 200
    merged = response.json()["data"]
    assert merged["id"] == by_phone["id"]
    assert merged["name"] == "Both"
    assert merged["email"] == "phone@example.com"  # kept: the email belongs to the other lead
    assert Lead.objects.get(pk=by_email["id"]).email == "shared@example.com"
    assert Lead.objects.count() == 2


def test_merge_is_written_to_the_timeline_and_audit_log(admin_api):
    lead = create(admin_api, name="A", phone="9876543210", status="New")
    admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210", "status": "Contacted"})
    merged = Event.objects.get(lead_id=lead["id"], verb="lead.merged")
    assert merged.changes == stage_change("New", "Contacted")
    assert merged.snapshot["status"] == "Contacted"


def test_merging_an_identical_request_changes_nothing_but_still_answers_200(admin_api):
    first = create(admin_api, name="A", phone="9876543210")
    again = admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210"})
    assert again.status_code == 200
    assert again.json()["data"] == first


def test_merges_cannot_grow_tags_past_the_cap(admin_api):
    create(admin_api, name="A", phone="9876543210", tags=[f"a{i}" for i in range(40)])
    response = admin_api.post_json(
        LEADS, {"name": "A", "phone": "9876543210", "tags": [f"b{i}" for i in range(20)]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "tags"
    assert len(Lead.objects.get().tags) == 40


def test_a_merge_cannot_leave_a_lead_without_phone_and_email(admin_api):
    create(admin_api, name="A", phone="9876543210")
    response = admin_api.post_json(LEADS, {"name": "A", "phone": "9876543210", "email": None})
    assert response.status_code == 200  # clearing the email is fine: the phone remains
    lead = Lead.objects.get()
    assert lead.phone_e164 == "+919876543210"


@pytest.mark.django_db(transaction=True)
def test_the_dedup_lock_is_refused_outside_a_transaction():
    """A lock taken outside a transaction would end with its statement: like
    select_for_update(), the match lock refuses to run there."""
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    from leads.selectors import lock_matching_ids
    from tests.factories import make_lead

    lead = make_lead(phone="+919812345678")
    with pytest.raises(TransactionManagementError):
        lock_matching_ids(phone_key="+919812345678", email_key=None)
    with transaction.atomic():
        assert lock_matching_ids(phone_key="+919812345678", email_key=None) == [lead.pk]
        assert lock_matching_ids(phone_key=None, email_key=None) == []
