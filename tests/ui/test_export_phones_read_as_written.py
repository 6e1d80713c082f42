"""The leads CSV shows a phone as written: "+91 98765 43210" is not a formula to a spreadsheet,
so it gets no visible apostrophe; an invisible word joiner (U+2060) in front keeps the cell from
starting with "+" instead. Every other column keeps the apostrophe (OWASP CSV injection)."""

import csv
import io

import pytest

from tests.factories import make_lead
from ui.export import FORMULA_STARTS, HEADER, WORD_JOINER

pytestmark = pytest.mark.django_db


def records(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")[1:]
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.mark.parametrize("written", ["+91 98765 43210", "+919876543210", "+1 (415) 555-0123"])
def test_a_phone_starting_with_plus_reads_as_written(rep_client, rep, written):
    make_lead(name="Priya Sharma", phone=written, assigned_to=rep)
    (record,) = records(rep_client.get("/leads/export.csv"))
    phone = record["Phone"]
    assert not phone.startswith(("'", *FORMULA_STARTS))
    assert phone == f"{WORD_JOINER}{written}"
    assert phone.replace(WORD_JOINER, "") == written


def test_a_phone_starting_with_a_digit_is_untouched(rep_client, rep):
    make_lead(name="Priya Sharma", phone="098765 43210", assigned_to=rep)
    (record,) = records(rep_client.get("/leads/export.csv"))
    assert record["Phone"] == "098765 43210"


def test_other_columns_still_get_the_apostrophe(rep_client, rep):
    make_lead(
        name="+91 98765 43210", company="=1+1", city="-2", phone="+919876543210",
        email="a@example.com", assigned_to=rep,
    )  # fmt: skip
    (record,) = records(rep_client.get("/leads/export.csv"))
    assert record["Name"] == "'+91 98765 43210"
    assert record["Company"] == "'=1+1"
    assert record["City"] == "'-2"
    assert record["Phone"] == f"{WORD_JOINER}+919876543210"
