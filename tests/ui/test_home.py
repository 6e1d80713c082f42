"""Today: new leads, calls today (IST), missed calls to return, leads by status and source."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from core.dates import ist_midnight, ist_today
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db


def section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"')[1].split("</section>")[0]


def stat(html: str, stat_id: str) -> str:
    return re.search(r'class="stat">(.*?)</span>', html.split(f'id="{stat_id}"')[1]).group(1)


def test_my_new_leads(rep_client, rep, other_rep):
    make_lead(name="Fresh One", status="New", source="IVR", assigned_to=rep)
    make_lead(name="Already Called", status="Contacted", assigned_to=rep)
    make_lead(name="Someone Else's", status="New", assigned_to=other_rep)
    html = rep_client.get("/").content.decode()
    assert "My new leads" in html
    new_leads = section(html, "new-leads")
    assert "Fresh One" in new_leads
    assert "Already Called" not in new_leads
    assert "Someone Else" not in new_leads
    assert stat(html, "stat-new") == "1"


def test_calls_today_are_counted_from_ist_midnight(rep_client, rep):
    lead = make_lead(name="Caller", assigned_to=rep)
    midnight = ist_midnight(ist_today())
    make_call(lead, called_at=midnight, notes="first thing")
    make_call(lead, called_at=midnight - dt.timedelta(seconds=1), notes="yesterday")
    html = rep_client.get("/").content.decode()
    assert stat(html, "stat-calls") == "1"
    assert section(html, "calls-today").count(">Caller</strong>") == 1


def test_missed_calls_to_return_are_those_nobody_has_returned(rep_client, rep):
    now = timezone.now()
    waiting = make_lead(name="Still Waiting", phone="+919811122233", assigned_to=rep)
    returned = make_lead(name="Called Back", assigned_to=rep)
    make_call(waiting, duration_seconds=0, outcome="Missed", called_at=now - dt.timedelta(hours=2))
    make_call(returned, duration_seconds=0, outcome="Missed", called_at=now - dt.timedelta(hours=3))
    make_call(returned, call_type="Outbound", called_at=now - dt.timedelta(hours=1))
    html = rep_client.get("/").content.decode()
    missed = section(html, "missed")
    assert "Still Waiting" in missed
    assert 'href="tel:+919811122233"' in missed
    assert "Called Back" not in missed
    assert stat(html, "stat-missed") == "1"


def test_leads_by_status_and_source_charts(rep_client, rep):
    for status, source in [("New", "IVR"), ("New", "IVR"), ("Won", "Website")]:
        make_lead(status=status, source=source, deal_value=1000, assigned_to=rep)
    html = rep_client.get("/").content.decode()
    by_status = section(html, "chart-status")
    assert re.search(r'href="/leads/\?status=New">New</a>.*?width="100%".*?>2</span>', by_status,
                     re.S)  # fmt: skip
    assert re.search(r'>Won</a>.*?width="50%".*?>1</span>', by_status, re.S)
    assert re.search(r'>Lost</a>.*?width="0%".*?>0</span>', by_status, re.S)
    by_source = section(html, "chart-source")
    assert re.search(r'href="/leads/\?source=IVR" title="IVR">IVR</a>.*?>2</span>', by_source, re.S)
    assert stat(html, "stat-pipeline") == "₹2,000"


def test_many_sources_fold_into_others(rep_client, rep):
    for n in range(8):
        make_lead(source=f"Source {n}", assigned_to=rep)
    chart = section(rep_client.get("/").content.decode(), "chart-source")
    assert chart.count("<li>") == 6
    assert "3 others" in chart
