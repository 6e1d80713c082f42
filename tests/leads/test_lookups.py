"""Looking leads up and syncing them on GET /api/v1/leads: phone, email, q, tag, updated_since,
sort, and `all`. A lookup sees every lead (no default window) and writes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event
from leads.models import Lead
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [lead["name"] for lead in response.json()["data"]]


def error_field(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["error"]["field"]


@pytest.fixture
def old():
    """A lead from long before the default 30-day window."""
    lead = make_lead(name="Kavya Nair", phone="+91 98450 12345", email="Kavya@Example.com",
                     company="Orbit Logistics", tags=["VIP", "Hot lead"])  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    return lead


@pytest.mark.parametrize("written", ["+919845012345", "098450-12345", "9845012345",
                                     "+91 (98450) 12345", "0091 98450 12345"])  # fmt: skip
def test_phone_finds_the_lead_however_the_number_is_written(admin_api, old, written):
    assert names(admin_api.get(LEADS, {"phone": written})) == ["Kavya Nair"]


@pytest.mark.parametrize("impossible", ["12", "not a phone", "+91 98450 1234O"])
def test_an_impossible_phone_is_a_400(admin_api, impossible):
    assert error_field(admin_api.get(LEADS, {"phone": impossible})) == "phone"


def test_email_is_exact_ignoring_case(admin_api, old):
    assert names(admin_api.get(LEADS, {"email": "KAVYA@example.com"})) == ["Kavya Nair"]
    assert names(admin_api.get(LEADS, {"email": "kavya@example.co"})) == []


@pytest.mark.parametrize(
    "query",
    ["kavya", "NAIR", "Nair  Kavya", "orbit", "kavya@example", "98450", "98450-12345",
     "098450 12345", "+91 98450 12345"],
)  # fmt: skip
def test_q_searches_name_email_company_and_phone(admin_api, old, query):
    make_lead(name="Someone Else", phone="+919811111111")
    assert names(admin_api.get(LEADS, {"q": query})) == ["Kavya Nair"]


def test_q_needs_two_characters(admin_api):
    assert error_field(admin_api.get(LEADS, {"q": "k"})) == "q"
    assert error_field(admin_api.get(LEADS, {"q": "  k "})) == "q"


def test_tag_is_repeatable_and_every_tag_must_match_ignoring_case(admin_api, old):
    make_lead(name="Only VIP", tags=["vip"])
    assert names(admin_api.get(f"{LEADS}?tag=vip&tag=HOT%20LEAD")) == ["Kavya Nair"]
    assert sorted(names(admin_api.get(LEADS, {"tag": "Vip"}))) == ["Kavya Nair", "Only VIP"]
    assert names(admin_api.get(LEADS, {"tag": "hot"})) == []  # whole tags, not parts


def test_updated_since_is_an_instant_with_an_offset(admin_api, old):
    later = timezone.now() + dt.timedelta(hours=1)
    assert names(admin_api.get(LEADS, {"updated_since": "2000-01-01T00:00:00Z"})) == ["Kavya Nair"]
    assert names(admin_api.get(LEADS, {"updated_since": later.isoformat()})) == []
    for bad in ["2026-01-01", "2026-01-01T10:00:00", "yesterday", "2026-13-01T00:00:00Z"]:
        assert error_field(admin_api.get(LEADS, {"updated_since": bad})) == "updated_since"


def test_updated_since_includes_the_moment_itself(admin_api, old):
    old.refresh_from_db()
    at = old.updated_at.isoformat()
    assert names(admin_api.get(LEADS, {"updated_since": at})) == ["Kavya Nair"]


def test_lookups_lift_the_default_window_unless_a_date_is_given(admin_api, old):
    assert names(admin_api.get(LEADS)) == []  # 400 days old: outside the default window
    assert names(admin_api.get(LEADS, {"tag": "vip"})) == ["Kavya Nair"]
    assert names(admin_api.get(LEADS, {"tag": "vip", "to_date": "2099-01-01"})) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-created_at", ["c", "b", "a"]),
        ("created_at", ["a", "b", "c"]),
        ("name", ["a", "b", "c"]),
        ("-name", ["c", "b", "a"]),
        ("updated_at", ["b", "c", "a"]),
        ("-updated_at", ["a", "c", "b"]),
    ],
)
def test_sort(admin_api, sort, expected):
    now = timezone.now()
    for index, name in enumerate(["a", "b", "c"]):
        lead = make_lead(name=name)
        Lead.objects.filter(pk=lead.pk).update(
            created_at=now - dt.timedelta(hours=3 - index),
            updated_at=now - dt.timedelta(minutes={"a": 1, "b": 30, "c": 20}[name]),
        )
    assert names(admin_api.get(LEADS, {"sort": sort})) == expected


def test_an_unknown_sort_is_a_400(admin_api):
    assert error_field(admin_api.get(LEADS, {"sort": "phone"})) == "sort"


def test_ties_are_broken_by_id_so_pages_never_repeat_or_skip(admin_api):
    moment = timezone.now() - dt.timedelta(hours=1)
    for _ in range(7):
        lead = make_lead(name="Same")
        Lead.objects.filter(pk=lead.pk).update(created_at=moment, updated_at=moment)
    for sort in ["name", "-updated_at", "created_at"]:
        seen = []
        for offset in range(0, 7, 3):
            page = admin_api.get(LEADS, {"sort": sort, "limit": 3, "offset": offset}).json()
            seen += [lead["id"] for lead in page["data"]]
        assert len(seen) == len(set(seen)) == 7, sort


@pytest.mark.parametrize("param", ["status", "source", "priority", "assigned_to"])
def test_all_means_no_filter(admin_api, param):
    make_lead(name="x", status="Won", source="IVR", priority="High")
    assert names(admin_api.get(LEADS, {param: "all"})) == ["x"]


@pytest.mark.parametrize("param", ["email", "phone"])
def test_a_lookup_never_takes_all_for_every_lead(admin_api, old, param):
    """`all` is "no filter" only for status, source, priority and assigned_to; a lookup by
    email=all once listed every lead of any age."""
    assert error_field(admin_api.get(LEADS, {param: "all"})) == param


def test_all_is_lowercase_only(admin_api):
    assert error_field(admin_api.get(LEADS, {"status": "All"})) == "status"


def test_a_lookup_writes_nothing(admin_api, old):
    old.refresh_from_db()
    before = (old.updated_at, Event.objects.count())
    for params in [{"phone": "09845012345"}, {"q": "kavya"}, {"email": "kavya@example.com"}]:
        assert names(admin_api.get(LEADS, params)) == ["Kavya Nair"]
    old.refresh_from_db()
    assert (old.updated_at, Event.objects.count()) == before


def test_a_reps_lookup_sees_only_their_leads(rep_api, rep, other_rep):
    make_lead(name="Theirs", phone="+919800000111", assigned_to=other_rep)
    make_lead(name="Mine", phone="+919800000222", assigned_to=rep)
    assert names(rep_api.get(LEADS, {"phone": "09800000111"})) == []
    assert names(rep_api.get(LEADS, {"phone": "09800000222"})) == ["Mine"]
    assert names(rep_api.get(LEADS, {"q": "9800000"})) == ["Mine"]


def test_a_phone_lookup_costs_as_few_queries_as_a_read(admin_api, old, django_assert_num_queries):
    admin_api.get(LEADS)  # (the key's first use of the minute records it: one more write)
    with django_assert_num_queries(3):  # the key, the count, the page
        assert names(admin_api.get(LEADS, {"phone": "09845012345"})) == ["Kavya Nair"]
