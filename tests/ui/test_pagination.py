"""Keyset pagination: every row exactly once, forwards and backwards, under every sort."""

import datetime as dt

import pytest

from leads.models import Lead
from tests.factories import make_lead
from ui.pagination import capped_count, paginate
from ui.views.leads import LEAD_SORTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads():
    """Eleven leads with ties in every sort column, so the id has to break them."""
    moment = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(11):
        lead = make_lead(name=f"Name {n % 4}", status=["New", "Won", "Lost"][n % 3])
        Lead.objects.filter(pk=lead.pk).update(created_at=moment + dt.timedelta(hours=n // 3))
        rows.append(lead.pk)
    return rows


def walk(keys, size):
    """All pages forward from the first, then all pages backward from the last."""
    forward, page = [], paginate(Lead.objects.all(), keys, size=size)
    pages = [page]
    while page.after:
        page = paginate(Lead.objects.all(), keys, after=page.after, size=size)
        pages.append(page)
    for page in pages:
        forward += [lead.pk for lead in page.items]
    backward_pages = [page.items]
    while page.before:
        page = paginate(Lead.objects.all(), keys, before=page.before, size=size)
        backward_pages.insert(0, page.items)
    backward = [lead.pk for items in backward_pages for lead in items]
    return pages, forward, backward


@pytest.mark.parametrize("sort", sorted(LEAD_SORTS))
@pytest.mark.parametrize("size", [1, 3, 11, 50])
def test_every_lead_once_in_sort_order_both_ways(leads, sort, size):
    keys = LEAD_SORTS[sort]
    expected = list(
        Lead.objects.order_by(*(key.order_by() for key in keys)).values_list("pk", flat=True)
    )
    pages, forward, backward = walk(keys, size)
    assert forward == expected
    assert backward == expected
    assert len(pages) == max(1, -(-len(expected) // size))
    assert pages[0].before is None
    assert pages[-1].after is None


def test_an_empty_list_is_one_empty_page(db):
    page = paginate(Lead.objects.all(), LEAD_SORTS["-created"], size=10)
    assert (page.items, page.after, page.before) == ([], None, None)


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGpzb24", "WzEsMiwzLDRd", "WyJ4IiwieSJd"])
def test_a_cursor_that_does_not_decode_gives_the_first_page(leads, cursor):
    keys = LEAD_SORTS["-created"]
    first = paginate(Lead.objects.all(), keys, size=3).items
    assert paginate(Lead.objects.all(), keys, after=cursor, size=3).items == first
    assert paginate(Lead.objects.all(), keys, before=cursor, size=3).items == first


def test_the_count_stops_at_its_cap(leads):
    assert capped_count(Lead.objects.all(), cap=5) == (5, True)
    assert capped_count(Lead.objects.all(), cap=11) == (11, False)
    assert capped_count(Lead.objects.none(), cap=5) == (0, False)
