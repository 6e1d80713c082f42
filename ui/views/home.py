"""Today: what a rep should act on now, and the shape of their pipeline."""

import datetime as dt

from django.db.models import Count, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from calls.models import CallLog
from core.dates import DEFAULT_WINDOW_DAYS, ist_range, ist_today
from leads.models import Lead
from leads.rules import LeadStatus

from ..pagination import capped_count
from .common import page

LIST_LENGTH = 8
TOP_SOURCES = 6
CLOSED = (LeadStatus.WON, LeadStatus.LOST)


@page
def home(request):
    user = request.user
    leads = Lead.objects.visible_to(user)
    calls = CallLog.objects.visible_to(user)
    today = ist_today()
    day_start, day_end = ist_range(today, today)

    new_leads = leads.filter(status=LeadStatus.NEW)
    calls_today = calls.filter(called_at__gte=day_start, called_at__lt=day_end)
    window_start, _ = ist_range(today - dt.timedelta(days=DEFAULT_WINDOW_DAYS), today)
    missed = calls.missed_to_return(since=window_start)
    by_status = _status_rows(leads)
    context = {
        "today": today,
        "new_leads": new_leads.select_related("assigned_to", "stage")[:LIST_LENGTH],
        "new_count": capped_count(new_leads),
        "calls_today": calls_today.select_related("lead")[:LIST_LENGTH],
        "calls_today_count": capped_count(calls_today),
        "missed": missed.select_related("lead")[:LIST_LENGTH],
        "missed_count": capped_count(missed),
        "missed_days": DEFAULT_WINDOW_DAYS,
        "by_status": by_status,
        "by_source": _source_rows(leads),
        "open_value": sum(row["value"] for row in by_status if row["label"] not in CLOSED),
        "won_value": sum(row["value"] for row in by_status if row["label"] == LeadStatus.WON),
        "lead_total": sum(row["count"] for row in by_status),
    }
    return render(request, "ui/home.html", context)


def _status_rows(leads) -> list[dict]:
    """Counts and deal value per status, in pipeline order, every status present."""
    totals = {
        status: (count, value or 0)
        for status, count, value in leads.order_by()
        .values_list("status")
        .annotate(count=Count("pk"), value=Sum("deal_value"))
    }
    rows = [
        _bar(status, *totals.get(status, (0, 0)), {"status": status})
        for status in LeadStatus.values
    ]
    return _scaled(rows)


def _source_rows(leads) -> list[dict]:
    counts = list(
        leads.order_by()
        .values_list("source")
        .annotate(count=Count("pk"), value=Sum("deal_value"))
        .order_by("-count", "source")
    )
    rows = [_bar(source, count, value or 0, {"source": source}) for source, count, value in counts]
    if len(rows) > TOP_SOURCES:
        rest = rows[TOP_SOURCES - 1 :]
        rows = rows[: TOP_SOURCES - 1]
        rows.append(
            _bar(
                f"{len(rest)} others",
                sum(row["count"] for row in rest),
                sum(row["value"] for row in rest),
                None,
            )
        )
    return _scaled(rows)


def _bar(label: str, count: int, value, query: dict | None) -> dict:
    url = f"{reverse('ui:lead_list')}?{urlencode(query)}" if query else None
    return {"label": label, "count": count, "value": value, "url": url}


def _scaled(rows: list[dict]) -> list[dict]:
    """Bar widths relative to the longest bar, in whole percent (a bar with any leads shows)."""
    top = max((row["count"] for row in rows), default=0) or 1
    for row in rows:
        row["percent"] = max(round(100 * row["count"] / top), 1 if row["count"] else 0)
    return rows
