"""The call log page: the API's filters plus outcome, IST days, pagination."""

import datetime as dt
import re

import pytest

from tests.factories import make_call, make_lead

from .helpers import field_errors

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def call_notes(response) -> list[str]:
    return re.findall(r'<td data-label="Notes" class="cell-notes">(.*?)</td>',
                      response.content.decode())  # fmt: skip


@pytest.fixture
def calls(rep):
    asha = make_lead(name="Asha", assigned_to=rep)
    ravi = make_lead(name="Ravi", assigned_to=rep)
    return {
        "asha": asha,
        "ravi": ravi,
        "calls": [
            make_call(asha, call_type="Inbound", duration_seconds=0, outcome="Missed",
                      called_at=at(2025, 1, 1, 18, 29), notes="c1"),
            make_call(asha, call_type="Outbound", duration_seconds=90, outcome="Completed",
                      called_at=at(2025, 1, 1, 18, 30), notes="c2"),
            make_call(ravi, call_type="Outbound", duration_seconds=0, outcome="No Answer",
                      called_at=at(2025, 1, 3, 9, 0), notes="c3"),
        ],
    }  # fmt: skip


def test_newest_first_with_lead_type_duration_and_outcome(rep_client, calls):
    response = rep_client.get("/calls/")
    assert call_notes(response) == ["c3", "c2", "c1"]
    page = response.content.decode()
    assert '<span class="badge badge-no-answer">No Answer</span>' in page
    assert "1m 30s" in page
    assert "3 Jan 2025, 14:30" in page  # 09:00 UTC shown in IST


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"call_type": "Outbound"}, ["c3", "c2"]),
        ({"outcome": "Missed"}, ["c1"]),
        ({"from_date": "2025-01-02", "to_date": "2025-01-02"}, ["c2"]),  # IST day boundaries
        ({"to_date": "2025-01-01"}, ["c1"]),
    ],
)
def test_filters(rep_client, calls, params, expected):
    assert call_notes(rep_client.get("/calls/", params)) == expected


def test_filter_by_lead_shows_whose_calls_they_are(rep_client, calls):
    response = rep_client.get("/calls/", {"lead": str(calls["asha"].pk)})
    assert call_notes(response) == ["c2", "c1"]
    assert "Lead: <a" in response.content.decode()


def test_invalid_filters_are_errors_next_to_their_fields(rep_client, calls):
    response = rep_client.get("/calls/", {"outcome": "Ghosted", "from_date": "2025-13-01"})
    assert set(field_errors(response)) == {"outcome", "from_date"}
    assert len(call_notes(response)) == 3


def test_paginated(rep_client, rep):
    lead = make_lead(assigned_to=rep)
    for n in range(30):
        make_call(lead, called_at=at(2025, 1, 1, 0, n), notes=f"n{n:02d}")
    first = rep_client.get("/calls/", {"per_page": "25"})
    assert call_notes(first) == [f"n{n:02d}" for n in range(29, 4, -1)]
    next_link = first.content.decode().split('rel="next" href="')[1].split('"')[0]
    second = rep_client.get("/calls/" + next_link.replace("&amp;", "&"))
    assert call_notes(second) == [f"n{n:02d}" for n in range(4, -1, -1)]
