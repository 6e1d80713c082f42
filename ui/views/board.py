"""The pipeline board (/pipeline/): one column per stage of a pipeline, its leads as cards that
move between them, by drag-and-drop (static/js/board.js) or by each card's "Move to…" form.

The page runs a fixed number of queries however many stages and leads there are: the pipelines
and their stages, the filters' choices, one GROUP BY for every column's count and value and one
query for every column's first cards (leads.selectors). A card's move posts to /pipeline/move/,
which answers the script in JSON and a browser without it with a redirect back to the board."""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST, require_safe

from core.errors import NotFound, ServiceError
from leads.models import Lead
from leads.selectors import StageTotal, stage_cards, stage_totals, stage_totals_counted
from leads.services import lead_move
from pipelines.models import Stage
from pipelines.selectors import active_pipelines

from ..forms_board import BoardFilterForm, BoardMoveForm
from ..templatetags.crm_ui import inr
from .common import actor_for, lead_sources, page, visible_lead

# Each column shows its newest arrivals; the rest are a link away, in the leads list.
CARDS_PER_STAGE = 50


@dataclass
class Column:
    stage: Stage
    total: StageTotal
    cards: list[Lead]
    move_options: SafeString  # the <option>s of its cards' "Move to…", this stage selected
    more_url: str  # the column's leads in the leads list, with the board's filters


@page
@require_safe
def board(request):
    pipelines = list(active_pipelines())
    form = BoardFilterForm(
        request.GET, user=request.user, sources=lead_sources(request.user), pipelines=pipelines
    )
    pipeline = form.chosen
    stages = list(pipeline.stages.all()) if pipeline else []
    stage_ids = [stage.pk for stage in stages]
    leads = form.apply(Lead.objects.visible_to(request.user))
    totals = _column_totals(form, leads, stage_ids, request.user)
    cards = stage_cards(leads, stage_ids, per_stage=CARDS_PER_STAGE)

    now, lead_url = timezone.now(), _lead_urls()
    list_url = reverse("ui:lead_list")
    columns = []
    for stage in stages:
        for lead in cards[stage.pk]:
            _describe_card(lead, stage, now, lead_url)
        more = _list_query(form, request.GET, stage)
        columns.append(
            Column(
                stage,
                totals[stage.pk],
                cards[stage.pk],
                _move_options(stages, stage.pk),
                f"{list_url}?{more}",
            )
        )
    tab = form.cleaned_data.get("stage")
    context = {
        "form": form,
        "pipeline": pipeline,
        "columns": columns,
        "current_stage_id": tab if tab in stage_ids else next(iter(stage_ids), None),
        "lead_count": sum(total.count for total in totals.values()),
        "deal_value": sum((total.deal_value for total in totals.values()), Decimal(0)),
        "move_next": request.get_full_path(),
        "move_url": reverse("ui:board_move"),
        "reset_url": reverse("ui:board") + (f"?pipeline={pipeline.pk}" if pipeline else ""),
    }
    return render(request, "ui/board.html", context)


def _describe_card(lead: Lead, stage: Stage, now: dt.datetime, lead_url: Callable) -> None:
    """What a card says besides the lead's fields: days in the stage, and whether it rots (the
    stage has a rotting limit and the lead has not changed for longer than it)."""
    lead.detail_url = lead_url(lead.pk)
    days = (now - lead.stage_entered_at).days
    lead.in_stage = "Under a day in stage" if days < 1 else f"{days} day{pluralize(days)} in stage"
    lead.rotting_after = stage.rotting_days
    lead.is_rotting = stage.rotting_days is not None and (
        now - lead.updated_at > dt.timedelta(days=stage.rotting_days)
    )


_SAMPLE_ID = uuid.UUID(int=0)


def _lead_urls() -> Callable[[Any], str]:
    """lead id → its page: reverse() once, then each id put in (a reverse() per card was a
    fifth of the board's rendering time with 300 cards)."""
    pattern = reverse("ui:lead_detail", args=[_SAMPLE_ID])
    return lambda lead_id: pattern.replace(str(_SAMPLE_ID), str(lead_id))


def _move_options(stages: list[Stage], current_id) -> SafeString:
    """The stages as <option>s, built once per column rather than once per card."""
    return format_html_join(
        "",
        "<option value=\"{}\"{}>{}</option>",
        ((stage.pk, SafeString(" selected") if stage.pk == current_id else "", stage.name)
         for stage in stages),
    )  # fmt: skip


def _list_query(form: BoardFilterForm, query: QueryDict, stage: Stage) -> str:
    """The leads list's query string for one column: the board's filters and the stage."""
    kept = QueryDict(mutable=True)
    for name in form.filter_names:
        if query.get(name) and name not in form.errors:
            kept[name] = query[name]
    kept["stage"] = str(stage.pk)
    return kept.urlencode()


# --- Moving a card ----------------------------------------------------------------------------


@page
@require_POST
def board_move(request):
    """Move one lead to a stage of its pipeline. The board's script asks for JSON (Accept:
    application/json) and gets the lead's new card and every column's new totals; a form post
    (no script, or the keyboard's "Move to…") goes back to the board with a message."""
    wants_json = request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    back = _board_url(request, request.POST.get("next", ""))
    form = BoardMoveForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        message = "Choose the stage to move the lead to." if field == "stage_id" else errors[0]
        return _refused(request, wants_json, back, ServiceError(message, field))
    try:
        lead = visible_lead(request, form.cleaned_data["lead_id"])
    except Http404:
        if not wants_json:
            raise
        return _refused(request, True, back, NotFound("No such lead.", "lead_id"))
    try:
        change = lead_move(
            actor=actor_for(request),
            lead=lead,
            stage_id=form.cleaned_data["stage_id"],
            # The board moves a lead within its pipeline; another pipeline is the lead's edit.
            pipeline_id=lead.stage.pipeline_id,
        )
    except ServiceError as error:
        return _refused(request, wants_json, back, error)

    moved = change.lead
    if change.changes:
        message = f"Moved “{moved.name}” to {moved.stage.name}."
    else:
        message = f"“{moved.name}” is already in {moved.stage.name}."
    if not wants_json:
        (messages.success if change.changes else messages.info)(request, message)
        return redirect(back)
    return JsonResponse(_moved_body(request, moved, back, message, bool(change.changes)))


def _column_totals(form: BoardFilterForm, leads, stage_ids: list, user) -> dict:
    """Each column's count and value sum: unfiltered, from the lead counts (the same cost at
    any number of leads); filtered, a count of the matching leads."""
    if form.active_filters:
        return stage_totals(leads, stage_ids)
    return stage_totals_counted(stage_ids, user)


def _moved_body(request, lead: Lead, back: str, message: str, changed: bool) -> dict:
    """The moved lead (its card as the board draws it) and the totals of every column of its
    pipeline under the board's filters (read from the board's address in `back`)."""
    stages = list(
        Stage.objects.active().filter(pipeline_id=lead.stage.pipeline_id).order_by("position")
    )
    query = QueryDict(back.partition("?")[2])
    form = BoardFilterForm(query, user=request.user, sources=[], pipelines=[])
    leads = form.apply(Lead.objects.visible_to(request.user))
    totals = _column_totals(form, leads, [stage.pk for stage in stages], request.user)
    _describe_card(lead, lead.stage, timezone.now(), _lead_urls())
    card = render_to_string(
        "ui/_board_card.html",
        {
            "lead": lead,
            "move_options": _move_options(stages, lead.stage_id),
            "move_next": back,
            "move_url": reverse("ui:board_move"),
        },
        request=request,
    )
    return {
        "message": message,
        "changed": changed,
        "lead": {
            "id": str(lead.pk),
            "name": lead.name,
            "stage_id": str(lead.stage_id),
            "stage": lead.stage.name,
            "status": lead.status,
        },
        "card_html": card,
        "columns": {
            str(stage_id): {
                "count": total.count,
                "count_display": _count_display(total.count),
                "deal_value": str(total.deal_value.quantize(Decimal("0.01"))),
                "deal_value_display": inr(total.deal_value),
            }
            for stage_id, total in totals.items()
        },
    }


def _count_display(count: int) -> str:
    return f"{count:,} lead{'' if count == 1 else 's'}"


def _board_url(request, wanted: str) -> str:
    """Where to go back to: the board page the move came from, if `next` is one of ours."""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("ui:board")


def _refused(request, wants_json: bool, back: str, error: ServiceError):
    if wants_json:
        body = {"code": error.code, "message": error.message}
        if error.field:
            body["field"] = error.field
        return JsonResponse({"error": body}, status=error.status)
    messages.error(request, f"Not moved: {error.message}")
    return redirect(back)
