"""Keyset paging (`cursor`, `pagination.next_cursor`) on GET /api/v1/leads and /api/v1/call-logs:
the same rows, in the same order, as offset paging, at any depth; filters, the default window,
`sort` and row-level security apply; a bad cursor is a 400 naming `cursor`."""

import base64
import datetime as dt
import json
import uuid

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.pagination import CURSOR_SALT
from calls.models import CallLog
from leads.listing import LeadFilter
from leads.models import Lead
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"
CALLS = "/api/v1/call-logs"


def body_of(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def walk_by_offset(api, url, params, limit) -> list[str]:
    seen, offset = [], 0
    while True:
        body = body_of(api.get(url, {**params, "limit": limit, "offset": offset}))
        seen += [row["id"] for row in body["data"]]
        if not body["pagination"]["has_more"]:
            assert body["pagination"]["next_cursor"] is None
            return seen
        offset += limit


def walk_by_cursor(api, url, params, limit) -> list[str]:
    body = body_of(api.get(url, {**params, "limit": limit}))
    seen = [row["id"] for row in body["data"]]
    pages = 1
    while body["pagination"]["next_cursor"] is not None:
        cursor = body["pagination"]["next_cursor"]
        body = body_of(api.get(url, {**params, "limit": limit, "cursor": cursor}))
        pagination = body["pagination"]
        assert pagination["offset"] is None
        assert pagination["limit"] == limit
        assert pagination["has_more"] == (pagination["next_cursor"] is not None)
        seen += [row["id"] for row in body["data"]]
        pages += 1
        assert pages < 100, "the cursor does not advance"
    return seen


def assert_bad_cursor(response, message_part: str = "") -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == "cursor"
    assert message_part in error["message"]


def encoded(payload) -> str:
    """A cursor with this payload (as ASCII JSON: lone surrogates too), signed as the API signs
    its own: what the payload holds is at fault."""
    return signing.Signer(salt=CURSOR_SALT, sep=".").sign_object(payload)


def unsigned(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def payload_of(cursor: str) -> list:
    text, _signature = cursor.split(".")
    return json.loads(base64.urlsafe_b64decode(text + "=="))


@pytest.fixture
def crowd(rep, other_rep):
    """17 leads: a batch sharing one created_at, one updated_at and one name (ties broken by id),
    spread over reps, statuses and times; one outside the default 30-day window."""
    now = timezone.now()
    same_moment = now - dt.timedelta(hours=3, microseconds=123457)
    leads = []
    for index in range(17):
        tied = index % 3 == 0
        leads.append(
            make_lead(
                name="Same name" if tied else f"Lead {index:02d} é",
                created_at=same_moment if tied else now - dt.timedelta(hours=index, seconds=index),
                assigned_to=(rep, other_rep, None)[index % 3],
                status="Won" if index % 2 else "New",
            )
        )
    for index, lead in enumerate(leads):  # updated_at is auto_now: set it (and its ties) here
        moment = same_moment if index % 4 == 0 else now - dt.timedelta(minutes=index)
        Lead.objects.filter(pk=lead.pk).update(updated_at=moment)
    make_lead(name="Old", created_at=now - dt.timedelta(days=40), assigned_to=rep)
    return leads


@pytest.mark.parametrize("sort", list(LeadFilter.SORTS))
@pytest.mark.parametrize("filters", [{}, {"status": "Won"}, {"q": "lead"}])
def test_walking_leads_by_cursor_matches_offset_paging_for_an_admin(
    admin_api, crowd, sort, filters
):
    params = {"sort": sort, **filters}
    by_offset = walk_by_offset(admin_api, LEADS, params, limit=4)
    by_cursor = walk_by_cursor(admin_api, LEADS, params, limit=4)
    assert by_cursor == by_offset
    assert len(set(by_cursor)) == len(by_cursor)
    expected = Lead.objects.filter(LeadFilter.q(LeadFilter.validated({**filters})))
    assert set(by_cursor) == {str(pk) for pk in expected.values_list("pk", flat=True)}
    assert "Old" not in {lead.name for lead in Lead.objects.filter(pk__in=by_cursor)}
    if not filters:
        assert len(by_cursor) == 17


@pytest.mark.parametrize("sort", list(LeadFilter.SORTS))
def test_a_rep_walks_only_their_leads_by_cursor(rep_api, rep, crowd, sort):
    params = {"sort": sort, "from_date": "2000-01-01"}  # (the old lead too)
    by_cursor = walk_by_cursor(rep_api, LEADS, params, limit=2)
    assert by_cursor == walk_by_offset(rep_api, LEADS, params, limit=2)
    mine = Lead.objects.filter(assigned_to=rep)
    assert sorted(by_cursor) == sorted(str(pk) for pk in mine.values_list("pk", flat=True))
    assert len(by_cursor) == 7  # 6 of the 17, and the old one


def test_leads_sharing_created_at_are_ordered_by_id_across_pages(admin_api):
    moment = timezone.now() - dt.timedelta(hours=1)
    for index in range(9):
        make_lead(name=f"tied {index}", created_at=moment)
    seen = walk_by_cursor(admin_api, LEADS, {}, limit=2)
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == 9
    ascending = walk_by_cursor(admin_api, LEADS, {"sort": "created_at"}, limit=2)
    assert ascending == sorted(seen)


def test_next_cursor_is_in_every_page_and_null_on_the_last(admin_api):
    for _ in range(3):
        make_lead()
    first = body_of(admin_api.get(LEADS, {"limit": 2}))["pagination"]
    assert first["has_more"] is True
    assert isinstance(first["next_cursor"], str)
    assert first["next_cursor"]
    last = body_of(admin_api.get(LEADS, {"limit": 2, "cursor": first["next_cursor"]}))
    assert len(last["data"]) == 1
    assert last["pagination"]["next_cursor"] is None
    assert last["pagination"]["has_more"] is False
    assert last["pagination"]["total"] == 3  # the total of the filters, not of the rest
    exact = body_of(admin_api.get(LEADS, {"limit": 3}))["pagination"]
    assert exact["next_cursor"] is None
    assert exact["has_more"] is False
    empty = body_of(admin_api.get(LEADS, {"status": "Lost"}))
    assert empty["data"] == []
    assert empty["pagination"]["next_cursor"] is None


def test_a_cursor_carries_the_exact_row_values(admin_api):
    moment = dt.datetime(2026, 11, 1, 10, 30, 0, 1, tzinfo=dt.UTC)  # one microsecond past
    early = make_lead(name="early", created_at=moment - dt.timedelta(microseconds=1))
    make_lead(name="late", created_at=moment)
    params = {"from_date": "2026-10-01", "to_date": "2026-11-30", "limit": 1}
    cursor = body_of(admin_api.get(LEADS, params))["pagination"]["next_cursor"]
    sort, created_at, lead_id = payload_of(cursor)
    assert sort == "-created_at"
    assert dt.datetime.fromisoformat(created_at) == moment
    assert uuid.UUID(lead_id) == Lead.objects.get(name="late").pk
    rest = body_of(admin_api.get(LEADS, {**params, "cursor": cursor}))
    assert [lead["id"] for lead in rest["data"]] == [str(early.pk)]


def test_an_edited_or_unsigned_cursor_is_a_400(admin_api):
    for _ in range(3):
        make_lead()
    cursor = body_of(admin_api.get(LEADS, {"limit": 1}))["pagination"]["next_cursor"]
    sort, created_at, lead_id = payload_of(cursor)
    signature = cursor.split(".")[1]
    earlier = (dt.datetime.fromisoformat(created_at) - dt.timedelta(days=1)).isoformat()
    for forged in (
        f"{unsigned([sort, earlier, lead_id]).split('.')[0]}.{signature}",  # another position
        f"{unsigned([sort, created_at, lead_id.upper()])}.{signature}",
        unsigned([sort, created_at, lead_id]),  # the payload alone
        f"{cursor.split('.')[0]}.{signature[:-1]}",
        cursor + "x",
    ):
        assert_bad_cursor(admin_api.get(LEADS, {"cursor": forged}), "changed")
        assert_bad_cursor(admin_api.get(CALLS, {"cursor": forged}), "changed")
    assert body_of(admin_api.get(LEADS, {"cursor": cursor}))["data"]


def test_a_cursor_of_another_sort_is_a_400(admin_api):
    for _ in range(3):
        make_lead()
    cursor = body_of(admin_api.get(LEADS, {"limit": 1}))["pagination"]["next_cursor"]
    assert_bad_cursor(admin_api.get(LEADS, {"cursor": cursor, "sort": "name"}), "sort")
    assert_bad_cursor(admin_api.get(LEADS, {"cursor": cursor, "sort": "created_at"}), "sort")
    assert body_of(admin_api.get(LEADS, {"cursor": cursor, "sort": "-created_at"}))


def test_a_cursor_with_offset_is_a_400(admin_api):
    make_lead()
    make_lead()
    cursor = body_of(admin_api.get(LEADS, {"limit": 1}))["pagination"]["next_cursor"]
    assert_bad_cursor(admin_api.get(LEADS, {"cursor": cursor, "offset": 0}), "offset")
    assert_bad_cursor(admin_api.get(CALLS, {"cursor": cursor, "offset": 5}), "offset")


SOME_ID = "3f1c2a9e-8d4b-4c6f-9a1e-2b7d5e8f0a13"  # (fixed: xdist workers collect the same ids)
GARBAGE = [
    "x",
    "not base64!",
    "not.signed",
    "%%%%",
    "a" * 5000,
    "é",
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),  # not UTF-8
    encoded("a string"),
    encoded({"sort": "-created_at"}),
    encoded([]),
    encoded(["-created_at"]),
    encoded(["-created_at", "2026-11-01T10:30:00+00:00"]),
    encoded(["-created_at", "2026-11-01T10:30:00+00:00", SOME_ID, "extra"]),
    encoded(["-created_at", "2026-11-01T10:30:00", SOME_ID]),  # no offset
    encoded(["-created_at", "yesterday", SOME_ID]),
    encoded(["-created_at", 1700000000, SOME_ID]),
    encoded(["-created_at", "2026-11-01T10:30:00Z", "not-a-uuid"]),
    encoded(["-created_at", "2026-11-01T10:30:00Z", 12]),
    encoded(["-created_at", None, None]),
    encoded(["-created_at", "99999-11-01T10:30:00Z", SOME_ID]),
]
# Cursors of the name sort, sent with sort=name: the values are what is wrong.
NAME_GARBAGE = [
    encoded(["name", ["a list"], SOME_ID]),
    encoded(["name", "x" * 201, SOME_ID]),
    encoded(["name", "nul\x00", SOME_ID]),
    encoded(["name", "ok", "2026-11-01T10:30:00Z"]),
]


@pytest.mark.parametrize("cursor", GARBAGE, ids=range(len(GARBAGE)))
def test_a_malformed_or_tampered_cursor_is_a_400_naming_cursor(admin_api, cursor):
    make_lead(name="a")
    assert_bad_cursor(admin_api.get(LEADS, {"cursor": cursor}))
    assert_bad_cursor(admin_api.get(CALLS, {"cursor": cursor}))


@pytest.mark.parametrize("cursor", NAME_GARBAGE, ids=range(len(NAME_GARBAGE)))
def test_a_cursor_with_values_of_the_wrong_kind_is_a_400(admin_api, cursor):
    make_lead(name="a")
    assert_bad_cursor(admin_api.get(LEADS, {"cursor": cursor, "sort": "name"}))


def test_an_empty_cursor_is_a_400_naming_it(admin_api):
    response = admin_api.get(LEADS, {"cursor": ""})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "message": "cursor: Must not be empty; leave the parameter out instead.",
        "field": "cursor",
    }


@pytest.mark.parametrize(
    "offset", ["9223372036854775807", "2147483648", "-1", "-99999999999999", "0" * 5000 + "5" * 13]
)
def test_an_offset_out_of_range_says_so_however_long(admin_api, offset):
    response = admin_api.get(LEADS, {"offset": offset})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "offset: Must be between 0 and 2147483647."


@pytest.mark.parametrize("offset", ["1e3", "5_0", " 5", "", "٥"])
def test_an_offset_that_is_not_plain_digits_is_not_an_integer(admin_api, offset):
    response = admin_api.get(LEADS, {"offset": offset})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "offset"


def test_an_offset_of_many_leading_zeros_is_read_as_the_number(admin_api):
    # (int() alone refuses a string of more than 4,300 digits: a 500, not the number 5)
    response = admin_api.get(LEADS, {"offset": "0" * 5000 + "5"})
    assert response.status_code == 200
    assert response.json()["pagination"]["offset"] == 5


def test_an_edited_cursor_still_applies_row_level_security(rep_api, rep, other_rep):
    mine = make_lead(name="mine", assigned_to=rep)
    make_lead(name="theirs", assigned_to=other_rep)
    far_future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    cursor = encoded(["-created_at", far_future, str(uuid.UUID(int=2**128 - 1))])
    body = body_of(rep_api.get(LEADS, {"cursor": cursor}))
    assert [lead["id"] for lead in body["data"]] == [str(mine.pk)]


@pytest.fixture
def calls(rep, other_rep):
    now = timezone.now()
    tied = now - dt.timedelta(hours=2, microseconds=654321)
    mine = make_lead(name="rep's", assigned_to=rep)
    theirs = make_lead(name="other's", assigned_to=other_rep)
    made = []
    for index in range(13):
        made.append(
            make_call(
                mine if index % 2 else theirs,
                called_at=tied if index % 3 == 0 else now - dt.timedelta(minutes=index),
                duration_seconds=0 if index % 4 == 0 else 30,
            )
        )
    make_call(mine, called_at=now - dt.timedelta(days=45))  # outside the default window
    return made


@pytest.mark.parametrize("filters", [{}, {"outcome": "Missed"}, {"call_type": "Inbound"}])
@pytest.mark.parametrize("who", ["admin", "rep"])
def test_walking_call_logs_by_cursor_matches_offset_paging(
    admin_api, rep_api, rep, calls, filters, who
):
    api = admin_api if who == "admin" else rep_api
    by_cursor = walk_by_cursor(api, CALLS, filters, limit=3)
    assert by_cursor == walk_by_offset(api, CALLS, filters, limit=3)
    assert len(set(by_cursor)) == len(by_cursor)
    expected = CallLog.objects.filter(pk__in=[call.pk for call in calls])
    if who == "rep":
        expected = expected.filter(lead__assigned_to=rep)
    if "outcome" in filters:
        expected = expected.filter(outcome="Missed")
    assert by_cursor == [str(call.pk) for call in expected.order_by("-called_at", "-id")]
    if not filters:
        assert len(by_cursor) == (13 if who == "admin" else 6)  # (not the old call)


def test_call_logs_cursor_last_page_and_another_list_s_cursor(admin_api, calls):
    first = body_of(admin_api.get(CALLS, {"limit": 10}))
    cursor = first["pagination"]["next_cursor"]
    assert first["pagination"]["offset"] == 0
    assert cursor
    last = body_of(admin_api.get(CALLS, {"limit": 10, "cursor": cursor}))
    assert len(last["data"]) == 3
    assert last["pagination"] == {
        "limit": 10, "offset": None, "total": 13, "has_more": False, "next_cursor": None,
    }  # fmt: skip
    lead_cursor = encoded(["-created_at", "2026-11-01T10:30:00Z", str(uuid.uuid4())])
    assert_bad_cursor(admin_api.get(CALLS, {"cursor": lead_cursor}), "sort")


def page_query_counts(api, url, params) -> tuple[int, int]:
    """Queries of the second page by offset, and of the same page by cursor."""
    first = body_of(api.get(url, {**params, "limit": 5}))
    pages = []
    for position in ({"offset": 5}, {"cursor": first["pagination"]["next_cursor"]}):
        with CaptureQueriesContext(connection) as queries:
            body = body_of(api.get(url, {**params, "limit": 5, **position}))
        pages.append(([row["id"] for row in body["data"]], len(queries)))
    (offset_ids, offset_count), (cursor_ids, cursor_count) = pages
    assert len(offset_ids) == 5
    assert cursor_ids == offset_ids
    return offset_count, cursor_count


@pytest.mark.parametrize("filters", [{}, {"q": "lead"}])  # a tally's sum; a COUNT
def test_a_leads_cursor_page_costs_the_queries_of_an_offset_page(admin_api, filters):
    for _ in range(12):
        make_lead()
    admin_api.get(LEADS)  # the key's first use writes last_used_at
    offset_count, cursor_count = page_query_counts(admin_api, LEADS, filters)
    assert cursor_count == offset_count == 3  # the key, the total, the page


def test_a_calls_cursor_page_costs_the_queries_of_an_offset_page(admin_api):
    lead = make_lead(name="caller")
    for index in range(12):
        make_call(lead, called_at=timezone.now() - dt.timedelta(minutes=index))
    admin_api.get(CALLS)
    offset_count, cursor_count = page_query_counts(admin_api, CALLS, {})
    assert cursor_count == offset_count


def test_the_keyset_page_query_is_a_row_value_comparison(admin_api):
    make_lead()
    make_lead()
    cursor = body_of(admin_api.get(LEADS, {"limit": 1}))["pagination"]["next_cursor"]
    with CaptureQueriesContext(connection) as queries:
        body_of(admin_api.get(LEADS, {"limit": 1, "cursor": cursor}))
    page_sql = next(q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"])
    assert '("l"."created_at", "l"."id") <' in page_sql
    assert "OFFSET 0" in page_sql


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_openapi_documents_cursor_and_next_cursor(schema):
    for path in (LEADS, CALLS):
        operation = schema["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"cursor", "limit", "offset"} <= names, path
        content = operation["responses"]["200"]["content"]["application/json"]["schema"]
        if "$ref" in content:
            content = schema["components"]["schemas"][content["$ref"].rsplit("/", 1)[1]]
        pagination = content["properties"]["pagination"]["properties"]
        assert pagination["next_cursor"]["type"] == ["string", "null"]
        assert pagination["offset"]["type"] == ["integer", "null"]
    pipelines = schema["paths"]["/api/v1/pipelines"]["get"]
    assert "cursor" not in {parameter["name"] for parameter in pipelines["parameters"]}


def test_a_cursor_with_a_lone_surrogate_is_a_400(admin_api):
    raw = encoded(["name", "\ud800", "0b5e4b6a-3f0e-4a39-9d55-4cfb1c8e2f10"])
    response = admin_api.get("/api/v1/leads", {"sort": "name", "cursor": raw})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "cursor"


def test_the_cursor_of_the_longest_name_fits_its_documented_length(admin_api):
    from api.pagination import CURSOR_MAX_LENGTH
    from tests.factories import make_lead as lead

    names = {"𝄞" * 200, "𝄞" * 199 + "z"}
    for name in names:
        lead(name=name)
    first = admin_api.get("/api/v1/leads", {"sort": "name", "limit": 1}).json()
    cursor = first["pagination"]["next_cursor"]
    assert len(cursor) <= CURSOR_MAX_LENGTH
    second = admin_api.get("/api/v1/leads", {"sort": "name", "limit": 1, "cursor": cursor})
    assert second.status_code == 200
    assert {first["data"][0]["name"], second.json()["data"][0]["name"]} == names


def test_the_benchmarks_data_floor_signs_its_cursor_as_the_api_does(monkeypatch, settings):
    """bench/raw_app.py answers the default list with the app's body, next_cursor included: it
    signs without Django, so this holds the two together."""
    import importlib

    from api.pagination import encode_cursor
    from bench import raw_app

    monkeypatch.setenv("DJANGO_SECRET_KEY", settings.SECRET_KEY)
    raw_app = importlib.reload(raw_app)
    moment = dt.datetime(2026, 11, 1, 10, 30, 0, 1, tzinfo=dt.UTC)
    lead_id = uuid.UUID("3f1c2a9e-8d4b-4c6f-9a1e-2b7d5e8f0a13")
    assert raw_app._cursor(moment, lead_id) == encode_cursor(
        ["-created_at", "-id"], [moment, lead_id]
    )
