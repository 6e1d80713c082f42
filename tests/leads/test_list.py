import datetime as dt
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.dates import IST
from events.services import Actor
from leads.listing import LeadFilter
from leads.models import Lead
from pipelines.models import Pipeline
from pipelines.services import pipeline_create
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [lead["name"] for lead in response.json()["data"]]


def test_default_is_the_last_30_ist_days_newest_first(admin_api):
    now = timezone.now()
    make_lead(name="today", created_at=now - dt.timedelta(minutes=1))
    make_lead(name="29 days", created_at=now - dt.timedelta(days=29))
    make_lead(name="31 days", created_at=now - dt.timedelta(days=31))
    make_lead(name="tomorrow", created_at=now + dt.timedelta(days=2))
    assert ids(admin_api.get(LEADS)) == ["today", "29 days"]


def test_from_date_starts_at_ist_midnight_and_to_date_includes_the_whole_ist_day(admin_api):
    # 10 March 2026 in IST runs from 2026-03-09T18:30:00Z to 2026-03-10T18:29:59.999999Z.
    for name, moment in [
        ("before", "2026-03-09T18:29:59Z"),
        ("first second", "2026-03-09T18:30:00Z"),
        ("last second", "2026-03-10T18:29:59Z"),
        ("after", "2026-03-10T18:30:00Z"),
    ]:
        make_lead(name=name, created_at=at(moment))
    day = {"from_date": "2026-03-10", "to_date": "2026-03-10"}
    assert ids(admin_api.get(LEADS, day)) == ["last second", "first second"]
    assert ids(admin_api.get(LEADS, {"from_date": "2026-03-09", "to_date": "2026-03-09"})) == [
        "before"
    ]


def test_from_date_alone_runs_to_today(admin_api):
    make_lead(name="old", created_at=timezone.now() - dt.timedelta(days=100))
    make_lead(name="new")
    since = (timezone.now() - dt.timedelta(days=120)).date().isoformat()
    assert ids(admin_api.get(LEADS, {"from_date": since})) == ["new", "old"]


def test_to_date_alone_starts_30_days_before_it(admin_api):
    make_lead(name="in", created_at=at("2026-01-20T06:00:00Z"))
    make_lead(name="out", created_at=at("2025-12-20T06:00:00Z"))
    assert ids(admin_api.get(LEADS, {"to_date": "2026-02-01"})) == ["in"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_date": "2026-03-11", "to_date": "2026-03-10"}, "from_date"),
        ({"from_date": "2999-01-01"}, "from_date"),
        ({"from_date": "10/03/2026"}, "from_date"),
        ({"from_date": "2026-02-30"}, "from_date"),
        ({"to_date": "yesterday"}, "to_date"),
        ({"to_date": "2026-03-10T00:00:00"}, "to_date"),
        ({"status": "Open"}, "status"),
        ({"status": "new"}, "status"),
        ({"priority": "Urgent"}, "priority"),
        ({"assigned_to": "not-an-email"}, "assigned_to"),
        ({"source": "x" * 101}, "source"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"offset": "32589158477190044730"}, "offset"),
        ({"offset": str(2**31)}, "offset"),
        ({"limit": "5_0"}, "limit"),
        ({"limit": " 5"}, "limit"),
        ({"limit": "٥"}, "limit"),
        ({"status": ""}, "status"),
        ({"to_date": ""}, "to_date"),
        ({"source": " "}, "source"),
        ({"limit": ""}, "limit"),
        ({"from_date": "0001-01-01"}, "from_date"),
        ({"to_date": "0001-01-15"}, "to_date"),
        ({"to_date": "9999-12-31"}, "to_date"),
        ({"from_date": "２０２６-11-01"}, "from_date"),
        # The nil UUID is no one's id (the counts use it for "any stage/pipeline").
        ({"stage_id": "00000000-0000-0000-0000-000000000000"}, "stage_id"),
        ({"pipeline_id": "00000000000000000000000000000000"}, "pipeline_id"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(admin_api, params, field):
    response = admin_api.get(LEADS, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == field
    assert error["message"]


def test_filters_by_status_source_priority_and_assignee(admin_api, rep, other_rep):
    make_lead(name="match", status="Won", source="IVR", priority="High", assigned_to=rep)
    make_lead(name="status", status="Lost", source="IVR", priority="High", assigned_to=rep)
    make_lead(name="source", status="Won", source="Web", priority="High", assigned_to=rep)
    make_lead(name="priority", status="Won", source="IVR", priority="Low", assigned_to=rep)
    make_lead(name="assignee", status="Won", source="IVR", priority="High", assigned_to=other_rep)
    params = {
        "status": "Won",
        "source": "IVR",
        "priority": "High",
        "assigned_to": "REP@example.com",
    }
    assert ids(admin_api.get(LEADS, params)) == ["match"]
    assert len(ids(admin_api.get(LEADS, {"status": "Won"}))) == 4
    assert ids(admin_api.get(LEADS, {"assigned_to": "nobody@example.com"})) == []


def test_pagination_walks_every_lead_once_in_a_stable_order(admin_api):
    moment = timezone.now() - dt.timedelta(hours=1)
    for index in range(7):
        make_lead(name=f"lead {index}", created_at=moment)  # same created_at: id breaks ties
    seen, offset = [], 0
    while True:
        body = admin_api.get(LEADS, {"limit": 3, "offset": offset}).json()
        assert body["pagination"]["limit"] == 3
        assert body["pagination"]["offset"] == offset
        assert body["pagination"]["total"] == 7
        seen += [lead["id"] for lead in body["data"]]
        if not body["pagination"]["has_more"]:
            break
        offset += 3
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_limit_500_is_allowed_and_offset_past_the_end_is_empty(admin_api):
    make_lead()
    assert admin_api.get(LEADS, {"limit": 500}).json()["pagination"]["limit"] == 500
    body = admin_api.get(LEADS, {"offset": 10}).json()
    assert body["data"] == []
    assert body["pagination"] == {
        "limit": 50, "offset": 10, "total": 1, "has_more": False, "next_cursor": None
    }  # fmt: skip


def test_query_count_does_not_grow_with_the_page_size(admin_api, rep):
    for index in range(60):
        make_lead(assigned_to=rep if index % 2 else None)
    admin_api.get(LEADS)  # first use writes last_used_at; later requests within a minute do not
    counts = []
    for limit in (1, 10, 60, 500):
        with CaptureQueriesContext(connection) as queries:
            assert admin_api.get(LEADS, {"limit": limit}).status_code == 200
        counts.append(len(queries))
    # The key lookup, the total (a sum of the tally's cells: leads.tally), and the page
    # (assignee emails by subquery).
    assert counts == [3, 3, 3, 3]
    total_sql = next(q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"])
    assert "leads_leadtally" in total_sql
    assert "JOIN" not in total_sql


def test_unknown_parameters_are_ignored(admin_api):
    make_lead(name="one")
    assert ids(admin_api.get(LEADS, {"colour": "blue"})) == ["one"]


def test_a_listed_lead_reads_exactly_as_the_lead_itself(admin_api, rep):
    """The list renders plain rows and GET /{id} a model instance: both must say the same."""
    make_lead(
        name="Assigned <b>",
        email="Assigned@Example.com",
        assigned_to=rep,
        tags=["a", "b"],
        deal_value="1234.50",
        company="Acme",
    )
    make_lead(name="Nobody's", assigned_to=None, deal_value=None, city="Pune")
    listed = admin_api.get(LEADS).json()["data"]
    assert len(listed) == 2
    for lead in listed:
        assert admin_api.get(f"{LEADS}/{lead['id']}").json()["data"] == lead
    assert {lead["assigned_to"] for lead in listed} == {rep.email, None}


# Values to try for each filter of the table (leads.listing.LeadFilter), with at least one that
# matches some leads and one that matches none. A filter added to the table without values here
# fails test_every_filter_of_the_table_is_held_to_the_orm: none can skip the parity test.
SAMPLES = {
    "from_date": ["2000-01-01", "FROM_10_DAYS_AGO"],
    "to_date": ["TODAY", "2020-01-01"],
    "status": ["Won", "New", "Proposal", "all"],
    "source": ["IVR", "Web", "Nowhere", "all"],
    "priority": ["Low", "Medium"],
    "assigned_to": ["Rep@Example.com", "rep2@example.com", "nobody@example.com", "all"],
    "phone": ["09800000004", "+91 98000 00006", "+919800000999"],
    "email": ["PERSON4@example.com", "nobody@example.com"],
    "q": ["asha", "Verma  Asha", "9800000004", "098000-00004", "person1", "zz"],
    "tag": ["VIP", "hot", "none"],
    "updated_since": ["2000-01-01T00:00:00Z", "2999-01-01T00:00:00+05:30"],
    "sort": ["created_at", "-updated_at", "updated_at", "name", "-name", "-created_at"],
    # (placeholders: the ids of the pipelines and stages the test makes)
    "pipeline_id": ["SALES", "PARTNERS", "all", "6f1c1a52-0000-4000-8000-000000000000", "x"],
    "stage_id": ["SALES_WON", "PARTNERS_SIGNED", "all"],
}


def test_every_filter_of_the_table_is_held_to_the_orm():
    assert set(SAMPLES) == set(LeadFilter.base_filters)


def parity_cases() -> list[dict]:
    """Each filter alone with each of its values, each pair of filters, and paging."""
    cases = [{}]
    cases += [{name: value} for name, values in SAMPLES.items() for value in values]
    names = sorted(SAMPLES)
    cases += [
        {first: SAMPLES[first][0], second: SAMPLES[second][0]}
        for index, first in enumerate(names)
        for second in names[index + 1 :]
    ]
    cases += [{"from_date": "2000-01-01", "limit": 5, "offset": 3}]
    return cases


@pytest.mark.parametrize("who", ["admin_user", "rep", "other_rep"])
def test_the_list_sql_selects_what_the_orm_filters_select(who, client_for, request):
    """lead_list applies the table's filters and the visibility rule in hand-written SQL;
    LeadFilter.qs applies the same table through the ORM. Both must pick the same leads, in the
    same order, for every user and every filter of the table."""
    users = {name: request.getfixturevalue(name) for name in ("admin_user", "rep", "other_rep")}
    user = users[who]
    now = timezone.now()
    same_moment = now - dt.timedelta(days=3)
    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )
    signed = partners.stages.get(name="Signed")
    sales = Pipeline.objects.get(is_default=True)
    ids = {
        "SALES": str(sales.pk),
        "PARTNERS": str(partners.pk),
        "SALES_WON": str(sales.stages.get(name="Won").pk),
        "PARTNERS_SIGNED": str(signed.pk),
    }
    for index in range(24):
        placed = (
            {"stage": signed} if index % 5 == 0 else {"status": ["New", "Won", "Lost"][index % 3]}
        )
        make_lead(
            name=f"{['Asha', 'Ravi', 'Meera'][index % 3]} {['Verma', 'Iyer'][index % 2]} {index}",
            phone=f"+9198{index:08d}",
            email=f"person{index}@Example.com" if index % 2 == 0 else None,
            tags=[["VIP"], ["vip", "Hot"], []][index % 3],
            **placed,
            source=["IVR", "Web"][index % 2],
            priority=["Low", "Medium", "High", "Medium"][index % 4],
            assigned_to=[users["rep"], users["other_rep"], None][index // 2 % 3],
            # Some share a moment (id breaks the tie), some fall outside the default window.
            created_at=same_moment if index % 4 == 0 else now - dt.timedelta(days=index * 2),
        )
    api = client_for(user, rate_limit=10_000)
    days = {
        "TODAY": timezone.now().astimezone(IST).date().isoformat(),
        "FROM_10_DAYS_AGO": (now - dt.timedelta(days=10)).astimezone(IST).date().isoformat(),
    }
    for case in parity_cases():
        params = {name: {**days, **ids}.get(str(value), value) for name, value in case.items()}
        filters = LeadFilter(QueryDict(urlencode(params)), queryset=Lead.objects.visible_to(user))
        if not filters.is_valid():  # e.g. from_date after to_date: the API says 400 as well
            assert api.get(LEADS, params).status_code == 400, params
            continue
        expected = [str(pk) for pk in filters.qs.values_list("pk", flat=True)]
        body = api.get(LEADS, params).json()
        assert "data" in body, (params, body)
        offset, limit = params.get("offset", 0), params.get("limit", 50)
        assert [lead["id"] for lead in body["data"]] == expected[offset : offset + limit], params
        assert body["pagination"]["total"] == len(expected), params


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "from_date: There is no such day: 2026-02-30."),
        ("2026-2-3", "from_date: Enter a date as YYYY-MM-DD."),
        ("10/03/2026", "from_date: Enter a date as YYYY-MM-DD."),
    ],
)
def test_a_bad_day_says_whether_the_form_or_the_day_is_wrong(admin_api, value, message):
    response = admin_api.get(LEADS, {"from_date": value})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
