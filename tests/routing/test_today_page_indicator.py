"""The Today page names the leads routed to the rep since their last visit, once: the next
visit starts the count again (issue 14)."""

import datetime as dt

import pytest
from django.utils import timezone

from leads.services import lead_upsert
from routing.models import RoutedLead, TodayVisit
from tests.factories import unique_phone
from tests.ui.conftest import logged_in

from .conftest import a_rule

pytestmark = pytest.mark.django_db


def test_today_shows_the_leads_routed_since_the_last_visit_then_starts_again(admin_actor, reps):
    a_rule("Everyone", reps[:1])
    browser = logged_in(reps[0])
    assert 'id="routed"' not in browser.get("/").content.decode()  # nothing yet
    for name in ("Asha Verma", "Ravi Kumar"):
        lead_upsert(actor=admin_actor, fields={"name": name, "phone": unique_phone()})
    # (A visit counts from a few seconds before it, so that a lead routed during the read is
    # not missed: these were routed a minute ago, after the first visit.)
    now = timezone.now()
    TodayVisit.objects.update(seen_at=now - dt.timedelta(minutes=2))
    RoutedLead.objects.update(routed_at=now - dt.timedelta(minutes=1))
    page = browser.get("/").content.decode()
    section = page.split('id="routed"', 1)[1].split("</section>", 1)[0]
    assert "2 new" in section
    assert "leads routed to you by the assignment rules since your last visit" in section
    assert "Asha Verma" in section
    assert "Ravi Kumar" in section
    assert 'id="routed"' not in browser.get("/").content.decode()


def test_a_head_request_or_a_prefetch_does_not_count_as_a_visit(admin_actor, reps):
    a_rule("Everyone", reps[:1])
    browser = logged_in(reps[0])
    lead_upsert(actor=admin_actor, fields={"name": "Asha Verma", "phone": unique_phone()})
    RoutedLead.objects.update(routed_at=timezone.now() - dt.timedelta(minutes=1))
    assert browser.head("/").status_code == 200
    assert browser.get("/", headers={"Sec-Purpose": "prefetch;prerender"}).status_code == 200
    assert not TodayVisit.objects.exists()
    assert "Asha Verma" in browser.get("/").content.decode().split('id="routed"', 1)[1]
    assert TodayVisit.objects.exists()
    assert browser.post("/").status_code == 405
