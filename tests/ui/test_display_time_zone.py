"""Pages show times in IST; the API keeps UTC."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import make_call, make_lead
from ui.middleware import DisplayTimeZoneMiddleware

pytestmark = pytest.mark.django_db

UTC_EVENING = dt.datetime(2025, 1, 1, 20, 0, tzinfo=dt.UTC)  # 01:30 on 2 January in IST


def test_lead_and_call_times_are_shown_in_ist(rep_client, rep):
    lead = make_lead(name="Late caller", assigned_to=rep)
    make_call(lead, called_at=UTC_EVENING)
    detail = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "2 Jan 2025, 01:30" in detail
    assert 'datetime="2025-01-02T01:30:00+05:30"' in detail
    assert "2 Jan 2025, 01:30" in rep_client.get("/calls/").content.decode()


def test_the_page_leaves_no_time_zone_behind(rep_client):
    rep_client.get("/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_middleware_shows_pages_in_ist_and_leaves_the_api_alone(rf):
    seen = {}

    def view(request):
        seen[request.path] = timezone.get_current_timezone_name()
        return None

    middleware = DisplayTimeZoneMiddleware(view)
    middleware(rf.get("/settings/integrations/api/"))
    middleware(rf.get("/api/v1/leads"))
    assert seen == {"/settings/integrations/api/": "Asia/Kolkata", "/api/v1/leads": "UTC"}
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_api_still_writes_utc(rep, client_for):
    lead = make_lead(assigned_to=rep)
    lead.created_at = UTC_EVENING
    lead.save()
    body = client_for(rep).get(f"/api/v1/leads/{lead.pk}").json()
    assert body["data"]["created_at"] == "2025-01-01T20:00:00Z"
