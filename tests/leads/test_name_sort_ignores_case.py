"""Sorting by name ignores case: "alice" sorts with "Alice", before "bob" (GET /api/v1/leads
?sort=name and the leads page), and paging on (by offset, by cursor, by the page's Next and
Previous links) neither repeats nor skips a lead."""

import re

import pytest

from tests.factories import make_lead
from tests.ui.helpers import lead_names

pytestmark = pytest.mark.django_db

NAMES = ["bob", "Alice", "Eve", "carol", "alice", "Bob", "Dev", "ALICE", "dave"]


def by_name(names: list[str]) -> list[str]:
    return sorted(names, key=str.lower)


@pytest.fixture
def leads(admin_user):
    return [make_lead(name=name, assigned_to=admin_user) for name in NAMES]


def lowered(names: list[str]) -> list[str]:
    return [name.lower() for name in names]


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_api_sorts_names_ignoring_case_and_pages_by_cursor(admin_api, leads, sort):
    expected = lowered(by_name(NAMES))
    if sort == "-name":
        expected.reverse()
    response = admin_api.get("/api/v1/leads", {"sort": sort})
    assert lowered([lead["name"] for lead in response.json()["data"]]) == expected

    seen, cursor = [], None
    while True:
        params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = admin_api.get("/api/v1/leads", params).json()
        seen += [(lead["id"], lead["name"]) for lead in body["data"]]
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert len({lead_id for lead_id, _ in seen}) == len(seen) == len(NAMES)
    assert lowered([name for _, name in seen]) == expected

    by_offset = []
    for offset in range(0, len(NAMES), 4):
        body = admin_api.get("/api/v1/leads", {"sort": sort, "limit": 4, "offset": offset}).json()
        by_offset += [(lead["id"], lead["name"]) for lead in body["data"]]
    assert by_offset == seen


def test_leads_page_sorts_names_ignoring_case_across_pages(admin_client, admin_user):
    names = [f"{prefix}{n:02d}" for n in range(15) for prefix in ("lead ", "Lead ")]
    for name in names:
        make_lead(name=name, assigned_to=admin_user)
    first = admin_client.get("/leads/", {"sort": "name", "per_page": 25})
    shown = lead_names(first)
    after = re.search(r'rel="next" href="\?([^"]+)"', first.content.decode()).group(1)
    second = admin_client.get(f"/leads/?{after.replace('&amp;', '&')}")
    shown += lead_names(second)
    assert len(set(shown)) == len(shown) == len(names)
    assert lowered(shown) == lowered(by_name(names))

    before = re.search(r'rel="prev" href="\?([^"]+)"', second.content.decode()).group(1)
    assert lead_names(admin_client.get(f"/leads/?{before.replace('&amp;', '&')}")) == lead_names(
        first
    )


def test_leads_page_name_header_sorts_ignoring_case(admin_client, leads):
    assert lowered(lead_names(admin_client.get("/leads/", {"sort": "name"}))) == lowered(
        by_name(NAMES)
    )
    assert (
        lowered(lead_names(admin_client.get("/leads/", {"sort": "-name"})))
        == lowered(by_name(NAMES))[::-1]
    )
