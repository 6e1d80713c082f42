"""Today: what a rep should act on now, and the shape of their pipeline."""

import datetime as dt

from django.db.models import Count, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from calls.models import CallLog
from core.dates import DEFAULT_WINDOW_DAYS, ist_range, ist_today
from leads.models import Lead
from leads.rules import LeadStatus, can_see
from routing.selectors import routed_since_last_visit
from routing.services import today_visit_record
from tasks.models import Task

from ..pagination import capped_count
from .common import page
from .tasks import quick_call_choices

LIST_LENGTH = 8
ROUTED_SHOWN = 5  # newly routed leads named on Today (the count says how many in all)
TASK_LIST_LENGTH = 20  # due tasks listed on Today (the count says how many in all)
TOP_SOURCES = 6
CLOSED = (LeadStatus.WON, LeadStatus.LOST)


@page
@require_safe
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
    due = _due_tasks(user, day_end)
    # Leads routing gave the user since their last visit here (then this visit is recorded).
    routed = routed_since_last_visit(user, leads=leads, newest=ROUTED_SHOWN)
    context = {
        "routed": routed,
        "routed_more": routed.count - len(routed.leads),
        "due_tasks": due["rows"],
        "due_count": due["count"],
        "overdue_count": due["overdue"],
        "quick_call": quick_call_choices(),
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
    response = render(request, "ui/home.html", context)
    if _seen_by_a_person(request):
        today_visit_record(user=user, at=routed.as_of)
    return response


def _seen_by_a_person(request) -> bool:
    """A GET someone looks at: not a HEAD, nor a browser's prefetch or prerender of the page
    (which would clear the new-leads note before the rep ever saw it)."""
    purpose = request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")
    return request.method == "GET" and "prefetch" not in purpose


def _due_tasks(user, day_end) -> dict:
    """The user's open tasks due before the end of today (overdue first, by due time): the
    first TASK_LIST_LENGTH, and how many in all."""
    tasks = Task.objects.open().filter(assigned_to=user, due_at__lt=day_end)
    rows = list(tasks.select_related("lead", "assigned_to")[:TASK_LIST_LENGTH])
    for task in rows:  # (a task may be assigned to a rep on a lead they cannot see)
        task.lead_visible = can_see(user, task.lead)
    if len(rows) < TASK_LIST_LENGTH:
        count = len(rows)
        overdue = sum(task.is_overdue for task in rows)
    else:
        count = tasks.count()
        overdue = tasks.filter(due_at__lt=timezone.now()).count()
    return {"rows": rows, "count": count, "overdue": overdue}


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
