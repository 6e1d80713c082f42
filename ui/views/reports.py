"""The reports page (/reports/): the analytics API's numbers for the same filters, as charts
(Chart.js, vendored: static/js/reports.js draws them from the page's json_script data) each
beside a table with the same numbers, and a CSV of each (/reports/<report>.csv).

1. The funnel of a pipeline (analytics.selectors.funnel; the default pipeline unless one is
   chosen), 2. leads and win rate by source (sources), 3. leads per IST day of the window
   (analytics.daily), and for admins 4. win rate and won value by rep (one grouped query).

The page runs a fixed number of queries whatever the number of leads: the tally's few cells,
two GROUP BYs for the funnel, one for the reps, and the filters' choices."""

import csv
from collections.abc import Iterable
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from analytics.daily import leads_per_day
from analytics.selectors import funnel, reps, sources, summary
from pipelines.selectors import active_pipelines

from ..export import neutralize
from ..forms_reports import ReportFilterForm
from ..templatetags.crm_ui import inr
from .common import lead_sources, page

REPORTS = ("funnel", "sources", "daily", "reps")
NOBODY = "Unassigned"


@page
@require_safe
def reports(request):
    form = _form(request)
    context: dict[str, Any] = {"form": form, "is_admin": request.user.is_admin}
    if not form.filters:
        return render(request, "ui/reports.html", context, status=400)
    data = _reports(request.user, form)
    context.update(data)
    context["query"] = form.query
    context["chart_data"] = _chart_data(data)
    return render(request, "ui/reports.html", context)


@page
@require_safe
def report_csv(request, report: str):
    if report not in REPORTS or (report == "reps" and not request.user.is_admin):
        raise Http404("No such report.")
    form = _form(request)
    if not form.filters:
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters
    if report == "funnel":
        rows = _funnel_rows(request.user, filters, form)["stages"]
    elif report == "sources":
        rows = sources(request.user, filters)
    elif report == "daily":
        rows = leads_per_day(request.user, filters)
    else:
        rows = rep_rows(request.user, filters)
    header, cells = CSV_COLUMNS[report]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{report}-{filters['from_date']}-to-{filters['to_date']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralize(cell) for cell in cells(row)])
    return response


def _form(request) -> ReportFilterForm:
    return ReportFilterForm(
        request.GET,
        user=request.user,
        sources=lead_sources(request.user),
        pipelines=active_pipelines(),
    )


def _reports(user, form: ReportFilterForm) -> dict[str, Any]:
    filters = form.filters
    found = {
        "filters": filters,
        "summary": summary(user, filters),
        "funnel": _funnel_rows(user, filters, form),
        "sources": sources(user, filters),
        "daily": leads_per_day(user, filters),
        "reps": rep_rows(user, filters) if user.is_admin else None,
    }
    found["daily_total"] = sum(row["leads"] for row in found["daily"])
    found["win_rate"] = percent(found["summary"]["win_rate"])
    for row in found["funnel"]["stages"]:
        row["conversion_display"] = percent(row["conversion_from_previous"])
    for row in found["sources"]:
        row["win_rate_display"] = percent(row["win_rate"])
        row["conversion_display"] = percent(row["conversion_rate"])
    for row in found["reps"] or []:
        row["win_rate_display"] = percent(row["win_rate"])
    found["chart_labels"] = _chart_labels(found)
    return found


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _chart_labels(data: dict[str, Any]) -> dict[str, str]:
    """Each chart's text alternative (aria-label): what it shows, in one sentence; the table
    beside it has every number."""
    stages = data["funnel"]["stages"]
    name = data["funnel"]["pipeline"].name if data["funnel"]["pipeline"] else "no pipeline"
    busiest = max(data["daily"], key=lambda row: row["leads"], default=None)
    labels = {
        "funnel": f"Bar chart: leads that reached each stage of {name}: "
        + (", ".join(f"{row['name']} {row['reached']}" for row in stages) or "no stages")
        + ".",
        "sources": "Bar chart: leads per source, with the win rate: "
        + (", ".join(f"{row['source']} {row['leads']} ({row['win_rate_display']})"
                     for row in data["sources"]) or "no leads")
        + ".",
        "daily": f"Bar chart: leads created per IST day, {data['daily_total']} in "
        f"{len(data['daily'])} days"
        + (f"; the most, {busiest['leads']}, on {busiest['day']:%d %b %Y}."
           if busiest and busiest["leads"] else "."),
    }  # fmt: skip
    if data["reps"] is not None:
        labels["reps"] = "Bar chart: win rate and won value per rep: " + (
            ", ".join(f"{row['rep']} {row['win_rate_display']}, {inr(row['won_value'])}"
                      for row in data["reps"])
            or "no leads"
        ) + "."  # fmt: skip
    return labels


def _funnel_rows(user, filters, form: ReportFilterForm) -> dict[str, Any]:
    """The funnel of the chosen pipeline, else of the default one (the API's default)."""
    pipeline = form.chosen_pipeline or next(
        (p for p in form.pipelines if p.is_default), next(iter(form.pipelines), None)
    )
    if pipeline is None:
        return {"pipeline": None, "stages": []}
    found = funnel(user, filters, pipeline)
    return {"pipeline": pipeline, "stages": found["stages"]}


def rep_rows(user, filters) -> list[dict[str, Any]]:
    """analytics.selectors.reps, the unassigned row labelled."""
    return [{**row, "rep": row["rep"] or NOBODY} for row in reps(user, filters)]


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _money(value: float) -> str:
    return f"{value:.2f}"


CSV_COLUMNS: dict[str, tuple[list[str], Any]] = {
    "funnel": (
        ["Stage", "Status", "Current", "Reached", "Conversion from previous"],
        lambda r: [r["name"], r["status"], r["current"], r["reached"],
                   _rate(r["conversion_from_previous"])],
    ),
    "sources": (
        ["Source", "Leads", "Won", "Lost", "Win rate", "Conversion rate", "Won value (INR)"],
        lambda r: [r["source"], r["leads"], r["won"], r["lost"], _rate(r["win_rate"]),
                   _rate(r["conversion_rate"]), _money(r["won_value"])],
    ),
    "daily": (["Day (IST)", "Leads"], lambda r: [r["day"].isoformat(), r["leads"]]),
    "reps": (
        ["Rep", "Leads", "Won", "Lost", "Win rate", "Won value (INR)"],
        lambda r: [r["rep"], r["leads"], r["won"], r["lost"], _rate(r["win_rate"]),
                   _money(r["won_value"])],
    ),
}  # fmt: skip


def _chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """What reports.js draws: labels and numbers only (the tables are the text)."""

    def pick(rows: Iterable[dict], label: str, *names: str) -> dict[str, list]:
        rows = list(rows)
        return {"labels": [str(row[label]) for row in rows]} | {
            name: [row[name] for row in rows] for name in names
        }

    chart = {
        "funnel": pick(data["funnel"]["stages"], "name", "reached"),
        "sources": pick(data["sources"], "source", "leads", "win_rate"),
        "daily": pick(data["daily"], "day", "leads"),
    }
    if data["reps"] is not None:
        chart["reps"] = pick(data["reps"], "rep", "win_rate", "won_value")
    return chart
