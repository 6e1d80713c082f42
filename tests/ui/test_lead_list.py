"""The leads list: search, the API's filters (IST days), sorting and keyset pagination."""

import datetime as dt

import pytest
from django.test import override_settings

from leads.models import Lead
from tests.factories import make_lead

from .helpers import REDIS_DOWN, field_errors, lead_names

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def created(lead: Lead, moment: dt.datetime) -> Lead:
    Lead.objects.filter(pk=lead.pk).update(created_at=moment)
    return lead


@pytest.fixture
def team(rep):
    """Four of the rep's leads, oldest first."""
    return [
        created(make_lead(name="Asha Sharma", phone="+91 98765 43210", email="asha@sunrise.in",
                          company="Sunrise Realty", status="New", priority="High",
                          source="IVR", assigned_to=rep), at(2025, 1, 1, 6)),
        created(make_lead(name="Rahul Verma", phone="+91 99887 76655", company="Verma Traders",
                          status="Contacted", priority="Low", source="Website",
                          assigned_to=rep), at(2025, 1, 2, 6)),
        created(make_lead(name="Priya Iyer", email="priya@nimbus.io", company="Nimbus Tech",
                          status="Won", priority="Medium", source="Referral",
                          assigned_to=rep), at(2025, 1, 3, 6)),
        created(make_lead(name="Vikram Rao", phone="+91 91234 56789", status="New",
                          priority="High", source="IVR", assigned_to=rep), at(2025, 1, 4, 6)),
    ]  # fmt: skip


def names(client, **params) -> list[str]:
    response = client.get("/leads/", params)
    assert response.status_code == 200
    return lead_names(response)


def test_newest_first_by_default(rep_client, team):
    assert names(rep_client) == ["Vikram Rao", "Priya Iyer", "Rahul Verma", "Asha Sharma"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("asha", ["Asha Sharma"]),  # name, any case
        ("VERMA", ["Rahul Verma"]),  # name and company
        ("nimbus", ["Priya Iyer"]),  # company
        ("priya@nimbus", ["Priya Iyer"]),  # email
        ("+91 98765 43210", ["Asha Sharma"]),  # the phone as stored
        ("098765-43210", ["Asha Sharma"]),  # another way to write it: matched in E.164
        ("9876543210", ["Asha Sharma"]),
        ("+919876543210", ["Asha Sharma"]),
        ("76655", ["Rahul Verma"]),  # a part of the number
        ("nobody", []),
    ],
)
def test_search_by_name_phone_email_or_company(rep_client, team, query, expected):
    assert names(rep_client, q=query) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "New"}, ["Vikram Rao", "Asha Sharma"]),
        ({"priority": "High", "source": "IVR"}, ["Vikram Rao", "Asha Sharma"]),
        ({"source": "Website"}, ["Rahul Verma"]),
        ({"status": "New", "q": "asha"}, ["Asha Sharma"]),
    ],
)
def test_filters_combine(rep_client, team, params, expected):
    assert names(rep_client, **params) == expected


def test_date_filters_are_ist_days(rep_client, rep):
    # 18:30 UTC is midnight in IST: 18:29 UTC on 1 Jan is still 1 Jan in IST, 18:30 is 2 Jan.
    created(make_lead(name="Last minute of 1 Jan", assigned_to=rep), at(2025, 1, 1, 18, 29, 59))
    created(make_lead(name="First minute of 2 Jan", assigned_to=rep), at(2025, 1, 1, 18, 30))
    created(make_lead(name="Last minute of 2 Jan", assigned_to=rep), at(2025, 1, 2, 18, 29, 59))
    created(make_lead(name="First minute of 3 Jan", assigned_to=rep), at(2025, 1, 2, 18, 30))
    only_2_jan = names(rep_client, from_date="2025-01-02", to_date="2025-01-02")
    assert only_2_jan == ["Last minute of 2 Jan", "First minute of 2 Jan"]
    assert names(rep_client, to_date="2025-01-01") == ["Last minute of 1 Jan"]
    assert names(rep_client, from_date="2025-01-03") == ["First minute of 3 Jan"]


def test_a_from_date_after_the_to_date_is_an_error_next_to_it(rep_client, team):
    response = rep_client.get("/leads/", {"from_date": "2025-01-05", "to_date": "2025-01-01"})
    assert field_errors(response) == {"from_date": ["From (2025-01-05) is after To (2025-01-01)."]}
    assert len(lead_names(response)) == 4  # the invalid filter is left out


def test_an_invalid_date_is_an_error_and_other_filters_still_apply(rep_client, team):
    response = rep_client.get("/leads/", {"from_date": "yesterday", "status": "Won"})
    assert field_errors(response) == {"from_date": ["Enter a date as YYYY-MM-DD."]}
    assert lead_names(response) == ["Priya Iyer"]


def test_an_admin_filters_by_assignee_or_unassigned(admin_client, rep, other_rep):
    make_lead(name="Ravi's", assigned_to=rep)
    make_lead(name="Sara's", assigned_to=other_rep)
    make_lead(name="Nobody's")
    assert names(admin_client, assigned_to=other_rep.email) == ["Sara's"]
    assert names(admin_client, assigned_to="none") == ["Nobody's"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Asha Sharma", "Priya Iyer", "Rahul Verma", "Vikram Rao"]),
        ("-name", ["Vikram Rao", "Rahul Verma", "Priya Iyer", "Asha Sharma"]),
        ("created", ["Asha Sharma", "Rahul Verma", "Priya Iyer", "Vikram Rao"]),
        ("status", ["Rahul Verma", "Vikram Rao", "Asha Sharma", "Priya Iyer"]),
        ("-status", ["Priya Iyer", "Vikram Rao", "Asha Sharma", "Rahul Verma"]),
        ("DROP TABLE", ["Vikram Rao", "Priya Iyer", "Rahul Verma", "Asha Sharma"]),
    ],
)
def test_sorting(rep_client, team, sort, expected):
    assert names(rep_client, sort=sort) == expected


def test_column_headers_toggle_the_sort_and_say_which_is_on(rep_client, team):
    page = rep_client.get("/leads/", {"sort": "name", "status": "New"}).content.decode()
    assert 'aria-sort="ascending"' in page
    assert "?sort=-name&amp;status=New" in page or "?status=New&amp;sort=-name" in page


def test_page_links_carry_the_filters(rep_client, rep):
    for n in range(30):
        created(make_lead(name=f"Lead {n:02d}", source="IVR", assigned_to=rep),
                at(2025, 1, 1, 0, n))  # fmt: skip
    make_lead(name="Other source", source="Website", assigned_to=rep)
    first = rep_client.get("/leads/", {"source": "IVR", "per_page": "25"})
    first_names = lead_names(first)
    assert first_names == [f"Lead {n:02d}" for n in range(29, 4, -1)]
    html = first.content.decode()
    assert "← Previous</span>" in html  # disabled on the first page
    next_link = html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "source=IVR" in next_link
    second = rep_client.get(f"/leads/{next_link}")
    assert lead_names(second) == [f"Lead {n:02d}" for n in range(4, -1, -1)]
    second_html = second.content.decode()
    assert "Next →</span>" in second_html  # disabled on the last page
    prev_link = second_html.split('rel="prev" href="')[1].split('"')[0].replace("&amp;", "&")
    assert lead_names(rep_client.get(f"/leads/{prev_link}")) == first_names


def test_a_tampered_cursor_shows_the_first_page(rep_client, team):
    assert names(rep_client, after="not-a-cursor!") == names(rep_client)
    assert names(rep_client, before="WyJ4Il0") == names(rep_client)


def test_the_count_and_the_empty_state(rep_client, team):
    page = rep_client.get("/leads/", {"status": "Won"}).content.decode()
    assert "1 lead matches the filters" in page
    page = rep_client.get("/leads/", {"q": "zzz"}).content.decode()
    assert "No leads match these filters." in page


def test_badges_for_status_and_priority(rep_client, team):
    page = rep_client.get("/leads/", {"q": "Priya"}).content.decode()
    assert '<span class="badge badge-won">Won</span>' in page
    assert '<span class="badge badge-medium">Medium</span>' in page


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/leads/", {"from_date": "0001-01-01"}, "from_date"),
        ("/leads/", {"to_date": "9999-12-31"}, "to_date"),
        ("/calls/", {"from_date": "0001-01-01", "to_date": "0001-01-02"}, "from_date"),
    ],
)
def test_dates_beyond_any_calendar_we_use_are_errors_not_crashes(rep_client, path, params, field):
    response = rep_client.get(path, params)
    assert response.status_code == 200
    assert field_errors(response)[field] == ["Must be between 1900-01-01 and 9998-12-31."]
    assert rep_client.get("/leads/export.csv", {"to_date": "9999-12-31"}).status_code == 302


def test_the_list_still_answers_when_the_cache_is_down(rep_client, rep):
    make_lead(name="Asha Verma", source="IVR", assigned_to=rep)
    with override_settings(CACHES=REDIS_DOWN):
        response = rep_client.get("/leads/")
    assert response.status_code == 200
    assert "Asha Verma" in response.content.decode()
