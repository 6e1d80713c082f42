"""The reports page (/reports/) read by the Django test client: the analytics API's numbers
for the same filters in its tables, a rep's own numbers only, every IST day of the window, bad
filters shown next to their fields (a 400, never a 500), the CSV downloads, and a fixed number
of queries however many leads there are."""

import csv
import datetime as dt
import html
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from analytics.daily import leads_per_day
from analytics.filters import AnalyticsFilter
from analytics.selectors import funnel, sources, summary
from core.dates import IST, ist_midnight, ist_today
from pipelines.models import Stage
from pipelines.selectors import default_pipeline
from tests.factories import make_lead

from .helpers import field_errors

pytestmark = pytest.mark.django_db

REPORTS = "/reports/"


def at(days_ago: int, hour: int = 12) -> dt.datetime:
    """Noon IST `days_ago` days before today (IST)."""
    return ist_midnight(ist_today() - dt.timedelta(days=days_ago)) + dt.timedelta(hours=hour)


@pytest.fixture
def leads(rep, other_rep):
    rows = [
        # (assignee, status, source, value, days ago)
        (rep, "New", "IVR", "1000", 0),
        (rep, "Won", "IVR", "5000", 1),
        (rep, "Lost", "Website", "700", 3),
        (rep, "Qualified", '=HYPERLINK("x")', "200", 3),
        (other_rep, "Won", "Website", "9000", 2),
        (other_rep, "Won", "Referral", "1000", 5),
        (other_rep, "Contacted", "IVR", None, 40),  # outside the default window
    ]
    return [
        make_lead(assigned_to=user, status=status, source=source,
                  deal_value=Decimal(value) if value else None, created_at=at(days))
        for user, status, source, value, days in rows
    ]  # fmt: skip


def table_rows(response, section: str) -> list[list[str]]:
    """The rows of a section's table, as the text of their cells."""
    page = response.content.decode()
    chunk = page.split(f'id="report-{section}"')[1].split("</section>")[0]
    body = re.split(r"<tbody[^>]*>", chunk)[1].split("</tbody>")[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells])
    return rows


def api_filters(query: dict) -> dict:
    api = {("pipeline_id" if k == "pipeline" else k): v for k, v in query.items()}
    return AnalyticsFilter.validated(QueryDict(mutable=True) | api)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))


def test_login_required(client):
    response = client.get(REPORTS)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/reports/funnel.csv").status_code == 302


@pytest.mark.parametrize(
    "query",
    [{}, {"source": "IVR"}, {"from_date": "2000-01-01"},
     {"assigned_to": "rep2@example.com", "to_date": "2100-01-01"}],
)  # fmt: skip
def test_the_tables_hold_the_apis_numbers(admin_user, admin_client, leads, query):
    if "from_date" in query:
        query = {"from_date": (ist_today() - dt.timedelta(days=60)).isoformat()}
    if "to_date" in query:
        query["to_date"] = ist_today().isoformat()
    query = {**query, "pipeline": str(default_pipeline().pk)} if query.get("source") else query
    response = admin_client.get(REPORTS, query)
    assert response.status_code == 200
    filters = api_filters(query)
    assert response.context["summary"] == summary(admin_user, filters)
    expected_sources = sources(admin_user, filters)
    assert [row[:3] for row in table_rows(response, "sources")] == [
        [row["source"], str(row["leads"]), str(row["won"])] for row in expected_sources
    ]
    expected_funnel = funnel(admin_user, filters, default_pipeline())["stages"]
    shown = [[re.sub(r" \(lost\)$", "", r[0]), r[1], r[2]] for r in table_rows(response, "funnel")]
    assert shown == [
        [row["name"], str(row["current"]), str(row["reached"])] for row in expected_funnel
    ]
    daily = table_rows(response, "daily")
    assert sum(int(row[1]) for row in daily) == summary(admin_user, filters)["leads"]
    reps = {row[0]: row for row in table_rows(response, "reps")}
    assert sum(int(row[1]) for row in reps.values()) == summary(admin_user, filters)["leads"]


def test_a_lost_stage_is_marked_lost_unless_its_name_says_so(admin_client, leads):
    names = [row[0] for row in table_rows(admin_client.get(REPORTS), "funnel")]
    assert names[-1] == "Lost"  # not "Lost (lost)"
    Stage.objects.filter(name="Lost").update(name="Disqualified")
    names = [row[0] for row in table_rows(admin_client.get(REPORTS), "funnel")]
    assert names[-1] == "Disqualified (lost)"


def test_the_admin_sees_every_rep(admin_client, leads):
    response = admin_client.get(REPORTS)
    assert response.status_code == 200
    reps = table_rows(response, "reps")
    # other_rep: 2 won of 2 closed, ₹10,000; rep: 1 won, 1 lost, ₹5,000 (the 40-day-old lead is out)
    assert reps == [
        ["rep2@example.com", "2", "2", "0", "100.0%", "₹10,000"],
        ["rep@example.com", "4", "1", "1", "50.0%", "₹5,000"],
    ]
    data = json.loads(re.search(r'id="report-data" type="application/json">(.*?)</script>',
                                response.content.decode()).group(1))  # fmt: skip
    assert data["reps"]["labels"] == ["rep2@example.com", "rep@example.com"]
    assert data["reps"]["win_rate"] == [1.0, 0.5]


def test_the_reps_table_has_unassigned_inactive_and_deleted_reps_leads(
    admin_client, admin_user, leads
):
    from tests.factories import make_user

    make_lead(assigned_to=None, status="Won", deal_value=Decimal(300))
    away = make_user("away@example.com")
    away.is_active = False
    away.save()
    make_lead(assigned_to=away, status="Lost")
    gone = make_user("gone@example.com")
    make_lead(assigned_to=gone, status="Won", deal_value=Decimal(50))
    gone.delete()  # their lead is nobody's now
    reps = {row[0]: row[1:] for row in table_rows(admin_client.get(REPORTS), "reps")}
    assert reps["away@example.com"] == ["1", "0", "1", "0.0%", "₹0"]
    assert reps["Unassigned"] == ["2", "2", "0", "100.0%", "₹350"]
    assert "gone@example.com" not in reps
    every_lead = summary(admin_user, AnalyticsFilter.validated(QueryDict("")))["leads"]
    assert sum(int(row[0]) for row in reps.values()) == every_lead


def test_a_rep_sees_only_their_numbers(rep, rep_client, leads):
    response = rep_client.get(REPORTS, {"assigned_to": "rep2@example.com"})  # ignored
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="report-reps"' not in page
    assert 'name="assigned_to"' not in page
    assert response.context["summary"]["leads"] == 4
    assert response.context["summary"] == summary(rep, api_filters({}))
    assert {row[0] for row in table_rows(response, "sources")} == {
        "IVR", "Website", "=HYPERLINK(\"x\")"
    }  # fmt: skip
    assert rep_client.get("/reports/reps.csv").status_code == 404


def test_every_day_of_the_window_has_a_row(admin_user, admin_client, leads):
    start, end = ist_today() - dt.timedelta(days=6), ist_today()
    response = admin_client.get(REPORTS, {"from_date": start, "to_date": end})
    rows = table_rows(response, "daily")
    assert len(rows) == 7
    days = [dt.date.fromisoformat(d) for d in re.findall(
        r'<time datetime="([0-9-]+)"', response.content.decode())]  # fmt: skip
    assert days == [start + dt.timedelta(days=n) for n in range(7)]
    counts = [int(row[1]) for row in rows]
    # 6 leads in the last 6 days: today 1, 1 day ago 1, 2 days 1, 3 days 2, 5 days 1
    assert counts == [0, 1, 0, 2, 1, 1, 1]
    filters = api_filters({"from_date": start.isoformat(), "to_date": end.isoformat()})
    assert [row["leads"] for row in leads_per_day(admin_user, filters)] == counts


def test_leads_per_day_counts_ist_days_and_filters(admin_user, rep, leads):
    # 23:00 IST on a day is 17:30 UTC: still that IST day.
    late = ist_midnight(ist_today() - dt.timedelta(days=10)) + dt.timedelta(hours=23)
    make_lead(assigned_to=rep, source="IVR", created_at=late)
    day = late.astimezone(IST).date()
    filters = api_filters({"from_date": day.isoformat(), "to_date": day.isoformat()})
    assert leads_per_day(admin_user, filters) == [{"day": day, "leads": 1}]
    assert leads_per_day(rep, filters) == [{"day": day, "leads": 1}]
    ivr = api_filters({"source": "IVR"})
    assert sum(r["leads"] for r in leads_per_day(admin_user, ivr)) == 3
    pipeline = api_filters({"pipeline": str(default_pipeline().pk)})
    assert sum(r["leads"] for r in leads_per_day(admin_user, pipeline)) == 7


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from_date": "2026-13-01"}, "from_date", "There is no such day: 2026-13-01."),
        # As the API reads dates: Django's own formats would take 01/11/2026 as 11 January.
        ({"from_date": "01/11/2026"}, "from_date", "Enter a date as YYYY-MM-DD."),
        ({"from_date": "2026-11-1"}, "from_date", "Enter a date as YYYY-MM-DD."),
        ({"from_date": "2026-05-02", "to_date": "2026-05-01"}, "from_date", "is after"),
        ({"from_date": "2020-01-01", "to_date": "2026-01-01"}, "from_date", "at most 366"),
        ({"assigned_to": "nobody@example.com"}, "assigned_to", "Select a valid choice"),
        ({"pipeline": "not-a-pipeline"}, "pipeline", "Select a valid choice"),
    ],
)
def test_bad_filters_show_errors_not_a_500(admin_client, query, field, message):
    response = admin_client.get(REPORTS, query)
    assert response.status_code == 400
    errors = field_errors(response)
    assert message in " ".join(errors[field])
    assert 'id="report-data"' not in response.content.decode()
    assert admin_client.get("/reports/sources.csv", query).status_code == 400


def test_csv_downloads(admin_client, leads):
    funnel_rows = read_csv(admin_client.get("/reports/funnel.csv"))
    assert funnel_rows[0] == ["Stage", "Status", "Current", "Reached", "Conversion from previous"]
    assert [row[0] for row in funnel_rows[1:]][:2] == ["New", "Contacted"]

    source_rows = read_csv(admin_client.get("/reports/sources.csv"))
    assert source_rows[0] == [
        "Source", "Leads", "Won", "Lost", "Win rate", "Conversion rate", "Won value (INR)"
    ]  # fmt: skip
    by_source = {row[0]: row for row in source_rows[1:]}
    assert by_source["IVR"] == ["IVR", "2", "1", "0", "1.0000", "0.5000", "5000.00"]
    assert by_source["Website"][3:6] == ["1", "0.5000", "0.5000"]  # won ÷ (won + lost)
    assert by_source['\'=HYPERLINK("x")'][1] == "1"  # a formula is neutralized

    daily = read_csv(admin_client.get("/reports/daily.csv", {"source": "IVR"}))
    assert daily[0] == ["Day (IST)", "Leads"]
    assert len(daily) == 1 + 31
    assert sum(int(row[1]) for row in daily[1:]) == 2

    reps = read_csv(admin_client.get("/reports/reps.csv"))
    assert reps == [
        ["Rep", "Leads", "Won", "Lost", "Win rate", "Won value (INR)"],
        ["rep2@example.com", "2", "2", "0", "1.0000", "10000.00"],
        ["rep@example.com", "4", "1", "1", "0.5000", "5000.00"],
    ]
    assert admin_client.get("/reports/other.csv").status_code == 404


def test_the_page_links_each_csv_with_the_same_filters(admin_client, leads):
    page = admin_client.get(REPORTS, {"source": "IVR"}).content.decode()
    links = re.findall(r'<a class="button report-csv" href="([^"]+)"', page)
    assert [html.unescape(link) for link in links] == [
        f"/reports/{name}.csv?source=IVR" for name in ("funnel", "sources", "daily", "reps")
    ]


def test_the_charts_have_text_alternatives(rep_client, leads):
    page = rep_client.get(REPORTS).content.decode()
    canvases = re.findall(r"<canvas ([^>]+)>", page)
    assert len(canvases) == 3
    for attributes in canvases:
        assert 'role="img"' in attributes
        assert re.search(r'aria-label="Bar chart: [^"]+"', attributes)
    assert re.findall(r"<table", page).__len__() == 3
    assert len(re.findall(r'<th scope="col"', page)) > 0
    assert page.count("<caption>") == 3


def test_a_fixed_number_of_queries(admin_client, rep, other_rep, django_assert_max_num_queries):
    counts, made = {}, 0
    for total in (10, 40):
        for n in range(made, total):
            make_lead(
                assigned_to=(rep, other_rep)[n % 2],
                source=f"S{n % 7}",
                status=("New", "Won", "Lost")[n % 3],
                deal_value=n,
                created_at=at(n % 20),
            )
        made = total
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("*")
        else:
            cache.clear()
        with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as queries:
            response = admin_client.get(REPORTS)
        assert response.status_code == 200
        assert response.context["summary"]["leads"] == total
        counts[total] = len(queries)
    assert counts[10] == counts[40], [q["sql"] for q in queries.captured_queries]


def test_the_vendored_chartjs_is_the_version_package_json_pins(rep_client):
    root = Path(settings.BASE_DIR)
    pinned = json.loads((root / "package.json").read_text())["dependencies"]["chart.js"]
    locked = json.loads((root / "package-lock.json").read_text())
    assert locked["packages"]["node_modules/chart.js"]["version"] == pinned
    vendored = root / "static" / "vendor" / "chartjs"
    assert (vendored / "chart.umd.min.js").read_text().startswith(f"/*!\n * Chart.js v{pinned}\n")
    assert "MIT License" in (vendored / "LICENSE").read_text()
    page = rep_client.get(REPORTS).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert "/static/vendor/chartjs/chart.umd.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts)


def test_a_link_written_with_the_apis_pipeline_id_filters_the_page(admin_client, admin_user):
    from events.services import Actor
    from pipelines.services import pipeline_create

    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )
    make_lead(source="IVR", stage=partners.stages.get(name="Intro"))
    make_lead(source="IVR")  # in the default pipeline
    response = admin_client.get(REPORTS, {"pipeline_id": str(partners.pk).upper()})
    assert response.status_code == 200
    assert response.context["summary"]["leads"] == 1
    assert [row[0] for row in table_rows(response, "funnel")] == ["Intro", "Signed"]
    everyone = admin_client.get(REPORTS, {"pipeline_id": "all"})
    assert everyone.status_code == 200
    assert everyone.context["summary"]["leads"] == 2
