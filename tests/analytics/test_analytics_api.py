"""GET /api/v1/analytics/summary and /sources: leads created in an IST window (as the lists
read it), row-level security, the same total as the leads list, calls in the window."""

import datetime as dt

import pytest
from django.utils import timezone

from core.dates import IST, ist_today
from events.services import Actor
from pipelines.models import Pipeline
from pipelines.services import pipeline_create
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/analytics/summary"
FUNNEL = "/api/v1/analytics/funnel"
SOURCES = "/api/v1/analytics/sources"
LEADS = "/api/v1/leads"


@pytest.fixture
def leads(rep, other_rep):
    """Leads of two reps and nobody's, in several stages and sources, over the last 20 days."""
    now = timezone.now()
    made = []
    plan = [
        ("IVR", "New", rep, 1000), ("IVR", "Won", rep, 5000), ("IVR", "Lost", other_rep, 700),
        ("Web", "Won", other_rep, 2500.5), ("Web", "Qualified", None, 300),
        ("Web", "Proposal", rep, None), ("Referral", "Contacted", None, 10),
        ("Referral", "Won", None, 100),
    ]  # fmt: skip
    for index, (source, status, assignee, value) in enumerate(plan):
        made.append(
            make_lead(
                name=f"L{index}",
                source=source,
                status=status,
                assigned_to=assignee,
                deal_value=value,
                created_at=now - dt.timedelta(days=2 * index),
            )
        )
    make_lead(name="Old", source="IVR", status="Won", created_at=now - dt.timedelta(days=60))
    return made


def test_summary_counts_the_window_by_status_with_rates_and_values(admin_api, leads):
    data = admin_api.get(SUMMARY).json()["data"]
    today = ist_today()
    assert (data["from_date"], data["to_date"]) == (
        (today - dt.timedelta(days=30)).isoformat(), today.isoformat()
    )  # fmt: skip
    assert data["leads"] == 8  # not the 60-day-old one
    assert data["by_status"] == {
        "New": 1, "Contacted": 1, "Qualified": 1, "Proposal": 1, "Won": 3, "Lost": 1
    }  # fmt: skip
    assert (data["won"], data["lost"]) == (3, 1)
    assert data["win_rate"] == 0.75
    assert data["conversion_rate"] == 0.375
    assert data["won_value"] == 7600.5
    assert data["open_value"] == 1310  # New, Contacted, Qualified, Proposal (None adds 0)


def test_rates_are_null_when_there_is_nothing_to_divide_by(admin_api):
    data = admin_api.get(SUMMARY).json()["data"]
    assert (data["leads"], data["win_rate"], data["conversion_rate"]) == (0, None, None)
    assert (data["won_value"], data["open_value"]) == (0, 0)
    assert data["by_status"] == dict.fromkeys(
        ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"], 0
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"source": "IVR"},
        {"assigned_to": "rep@example.com"},
        {"source": "Web", "assigned_to": "rep2@example.com"},
        {"from_date": "2000-01-01"},
        {"to_date": "2000-01-01", "from_date": "1999-01-01"},
        {"assigned_to": "nobody@example.com"},
    ],
)
@pytest.mark.parametrize("who", ["admin_user", "rep", "other_rep"])
def test_leads_equals_the_lists_total_for_every_user(client_for, request, leads, who, params):
    api = client_for(request.getfixturevalue(who))
    summary = api.get(SUMMARY, params).json()["data"]
    listed = api.get(LEADS, params).json()["pagination"]["total"]
    assert summary["leads"] == listed
    by_source = api.get(SOURCES, params).json()["data"]
    assert sum(row["leads"] for row in by_source) == listed


def test_a_reps_key_sees_only_the_reps_leads(rep_api, leads):
    data = rep_api.get(SUMMARY).json()["data"]
    assert data["leads"] == 3
    assert data["by_status"]["Won"] == 1
    assert data["won_value"] == 5000


def test_the_pipeline_filter_counts_that_pipelines_leads(admin_api, leads):
    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Deal", "status": "Won"}],
    )
    make_lead(name="P", stage=partners.stages.get(), deal_value=42)
    data = admin_api.get(SUMMARY, {"pipeline_id": str(partners.pk)}).json()["data"]
    assert (data["leads"], data["won"], data["won_value"]) == (1, 1, 42)
    sales = Pipeline.objects.get(is_default=True)
    assert admin_api.get(SUMMARY, {"pipeline_id": str(sales.pk)}).json()["data"]["leads"] == 8


def test_the_window_is_ist_days(admin_api):
    day = dt.date(2026, 3, 10)
    last_moment = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=IST)
    make_lead(name="Late", created_at=last_moment)
    make_lead(name="Next day", created_at=last_moment + dt.timedelta(seconds=1))
    one_day = {"from_date": day.isoformat(), "to_date": day.isoformat()}
    assert admin_api.get(SUMMARY, one_day).json()["data"]["leads"] == 1
    next_day = {"from_date": "2026-03-11", "to_date": "2026-03-11"}
    assert admin_api.get(SUMMARY, next_day).json()["data"]["leads"] == 1


def test_calls_in_the_window_on_visible_matching_leads(rep_api, admin_api, leads, rep):
    mine, theirs = leads[0], leads[2]  # IVR, the rep's; IVR, the other rep's
    now = timezone.now()
    make_call(mine, outcome="Missed", duration_seconds=0, called_at=now)
    make_call(mine, outcome="No Answer", duration_seconds=0, called_at=now)
    make_call(mine, outcome="Completed", called_at=now)
    make_call(mine, outcome="Completed", called_at=now - dt.timedelta(days=45))  # outside
    make_call(theirs, outcome="Missed", duration_seconds=0, called_at=now)
    data = rep_api.get(SUMMARY).json()["data"]
    assert (data["calls"], data["missed_calls"]) == (3, 2)
    data = admin_api.get(SUMMARY).json()["data"]
    assert (data["calls"], data["missed_calls"]) == (4, 3)
    data = admin_api.get(SUMMARY, {"source": "Web"}).json()["data"]
    assert (data["calls"], data["missed_calls"]) == (0, 0)


def test_sources_most_leads_first_then_by_name(admin_api, leads):
    rows = admin_api.get(SOURCES).json()["data"]
    assert [row["source"] for row in rows] == ["IVR", "Web", "Referral"]
    ivr = rows[0]
    assert (ivr["leads"], ivr["won"], ivr["lost"], ivr["won_value"]) == (3, 1, 1, 5000)
    assert ivr["conversion_rate"] == round(1 / 3, 4)
    assert ivr["win_rate"] == 0.5  # won / (won + lost)
    web = rows[1]
    assert (web["won"], web["lost"], web["win_rate"]) == (1, 0, 1.0)
    referral = rows[2]
    assert referral["win_rate"] == 1.0
    make_lead(name="Another referral", source="Referral")
    rows = admin_api.get(SOURCES).json()["data"]
    assert [row["source"] for row in rows] == ["IVR", "Referral", "Web"]  # 3, 3, 3: by name


def test_sources_with_equal_counts_are_ordered_by_name_ignoring_case(admin_api):
    for n, source in enumerate(["beta", "Alpha", "alpha", "Beta"]):
        make_lead(name=f"L{n}", source=source)
    rows = admin_api.get(SOURCES).json()["data"]
    assert [row["source"] for row in rows] == ["Alpha", "alpha", "Beta", "beta"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_date": "2026-02-01", "to_date": "2026-01-01"}, "from_date"),
        ({"from_date": "yesterday"}, "from_date"),
        ({"pipeline_id": "x"}, "pipeline_id"),
        ({"pipeline_id": "00000000-0000-0000-0000-000000000000"}, "pipeline_id"),
        # An id as the API writes them, nothing else (Django's field would take all of these).
        ({"pipeline_id": "{373b5312-4131-4ff9-b747-09878de2932e}"}, "pipeline_id"),
        ({"pipeline_id": "urn:uuid:373b5312-4131-4ff9-b747-09878de2932e"}, "pipeline_id"),
        ({"pipeline_id": "373b53124131-4ff9b74709878de2932e"}, "pipeline_id"),
        ({"pipeline_id": " 373b5312-4131-4ff9-b747-09878de2932e"}, "pipeline_id"),
        ({"assigned_to": "not-an-email"}, "assigned_to"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(admin_api, params, field):
    for path in (SUMMARY, SOURCES, FUNNEL):
        response = admin_api.get(path, params)
        assert response.status_code == 400
        assert response.json()["error"]["field"] == field


def test_analytics_need_the_read_permission(client_for, admin_user):
    api = client_for(admin_user, permissions="write")
    assert api.get(SUMMARY).status_code == 403


def test_the_cost_does_not_grow_with_the_leads(admin_api, django_assert_max_num_queries):
    admin_api.get(SUMMARY)  # (the key's first use of the minute is recorded)
    for index in range(30):
        make_lead(name=f"N{index}", source=["A", "B", "C"][index % 3])
    with django_assert_max_num_queries(3):  # the key, the counts, the calls
        assert admin_api.get(SUMMARY).status_code == 200
    with django_assert_max_num_queries(2):  # the key, the counts
        assert admin_api.get(SOURCES).status_code == 200
