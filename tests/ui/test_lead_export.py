"""CSV export of the current filter: streamed, visible leads only, safe in a spreadsheet."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from leads.models import Lead
from leads.representation import API_FIELDS
from tests.factories import make_lead
from ui.export import COLUMNS, HEADER, neutralize

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # so that Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(body[1:])))


def test_exports_the_filtered_leads_with_every_field(rep_client, rep):
    lead = make_lead(
        name="Ananya Iyer", phone="098765 43210", email="ananya@example.com", company="Kaveri",
        city="Kochi", source="IVR", status="Qualified", priority="High", tags=["vip", "hot"],
        deal_value=Decimal("450000.00"), notes="Line one\nline two", assigned_to=rep,
    )  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(created_at=dt.datetime(2025, 1, 1, 20, 0, tzinfo=dt.UTC))
    make_lead(name="Other status", status="Lost", assigned_to=rep)
    response = rep_client.get("/leads/export.csv", {"status": "Qualified"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    header, *data = rows(response)
    assert header == HEADER
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert record["ID"] == str(lead.pk)
    assert record["Name"] == "Ananya Iyer"
    assert record["Phone"] == "098765 43210"
    assert record["Tags"] == "vip, hot"
    assert record["Deal value (INR)"] == "450000.00"
    assert record["Assigned to"] == rep.email
    assert record["Notes"] == "Line one\nline two"
    assert record["Created (IST)"] == "2025-01-02 01:30:00"  # 20:00 UTC is 01:30 next day IST


def test_the_columns_are_the_api_representation_of_a_lead():
    # One representation of a lead (leads.representation) for the API and the export alike.
    assert sorted(field for field, _ in COLUMNS) == sorted(API_FIELDS)


def test_exports_only_what_the_rep_may_see(rep_client, rep, other_rep):
    make_lead(name="Mine", assigned_to=rep)
    make_lead(name="Theirs", assigned_to=other_rep)
    names = [row[1] for row in rows(rep_client.get("/leads/export.csv"))[1:]]
    assert names == ["Mine"]


def test_exports_in_the_lists_sort_order(rep_client, rep):
    for name in ["Bina", "Chetan", "Arjun"]:
        make_lead(name=name, assigned_to=rep)
    names = [row[1] for row in rows(rep_client.get("/leads/export.csv", {"sort": "name"}))[1:]]
    assert names == ["Arjun", "Bina", "Chetan"]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
)
def test_cells_a_spreadsheet_would_run_as_formulas_get_a_quote(rep_client, rep, text):
    make_lead(name=text, company=text, email="f@example.com", assigned_to=rep)
    record = dict(zip(HEADER, rows(rep_client.get("/leads/export.csv"))[1], strict=True))
    assert record["Name"] == f"'{text}"
    assert record["Company"] == f"'{text}"


def test_ordinary_text_is_left_alone():
    assert neutralize("Asha = friend") == "Asha = friend"
    assert neutralize(None) == ""
    assert neutralize(Decimal("10.50")) == "10.50"


def test_an_invalid_filter_goes_back_to_the_list_with_the_error(rep_client):
    response = rep_client.get("/leads/export.csv", {"from_date": "soon"})
    assert response.status_code == 302
    assert response["Location"] == "/leads/?from_date=soon"


def test_the_list_links_to_the_export_of_its_filter(rep_client):
    page = rep_client.get("/leads/", {"status": "Won", "q": "a b"}).content.decode()
    assert 'href="/leads/export.csv?status=Won&amp;q=a+b"' in page
