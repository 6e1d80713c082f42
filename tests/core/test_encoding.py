"""core.encoding: the API's one JSON encoding, and a lead's typed representation through it."""

import datetime as dt
import uuid
from decimal import Decimal

import orjson
import pytest

from core.dates import IST, iso_utc
from core.encoding import dumps, plain, utc
from leads.representation import lead_row, lead_to_api, represent
from tests.factories import make_lead

MOMENTS = [
    dt.datetime(2026, 11, 30, 12, 34, 56, 789_012, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 1, 0, 0, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 1, 3, 15, 59, 999_999, tzinfo=IST),  # another zone: its UTC instant
    dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_timestamp_is_written_as_iso_utc_writes_it(moment):
    assert orjson.loads(dumps({"at": utc(moment)})) == {"at": iso_utc(moment)}


def test_ids_decimals_and_none_are_written_as_the_api_shows_them():
    value = uuid.UUID("1da35f11-3bb3-4191-824b-7c84a3841906")
    body = {"id": value, "deal_value": Decimal("450000.50"), "none": None, "at": utc(None)}
    assert plain(body) == {
        "id": "1da35f11-3bb3-4191-824b-7c84a3841906",
        "deal_value": 450000.5,
        "none": None,
        "at": None,
    }


def test_anything_else_is_an_error_not_a_guess():
    with pytest.raises(TypeError):
        dumps({"x": object()})


@pytest.mark.django_db
def test_the_stored_representation_is_the_typed_one_as_text():
    lead = make_lead(name="Asha", deal_value=Decimal("1234.50"), tags=["vip"])
    lead.refresh_from_db()
    api = lead_to_api(lead)
    assert api["id"] == str(lead.pk)
    assert api["stage_id"] == str(lead.stage_id)
    assert api["created_at"] == iso_utc(lead.created_at)
    assert api["deal_value"] == 1234.5
    assert api == orjson.loads(dumps(represent(lead_row(lead))))
