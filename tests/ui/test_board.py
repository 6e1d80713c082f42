"""The pipeline board (/pipeline/) read by the Django test client: one column per stage with its
count and value, cards, the 50-card cap and its link to the leads list, the filters and the
pipeline switcher, row-level security, moving a card (form and JSON), and a fixed number of
queries however many stages and leads there are."""

import datetime as dt
import html
import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event
from events.services import Actor
from leads.models import Lead
from pipelines.models import Pipeline, Stage
from pipelines.services import pipeline_create
from tests.factories import make_lead

from .helpers import lead_names, messages_shown

pytestmark = pytest.mark.django_db

BOARD = "/pipeline/"
MOVE = "/pipeline/move/"


def stages_of_default() -> dict[str, Stage]:
    return {stage.name: stage for stage in Stage.objects.filter(pipeline__is_default=True)}


def columns(response) -> dict[str, dict]:
    """The board's columns in order: {stage name: count text, value text, card names, the
    link to the rest}."""
    assert response.status_code == 200
    found = {}
    for chunk in response.content.decode().split('<section class="column')[1:]:
        chunk = chunk.split("</section>")[0]
        name = html.unescape(re.search(r'<h2 id="column-title-[^"]+" tabindex="-1">(.*?)</h2>',
                                       chunk).group(1))  # fmt: skip
        more = re.search(r'<p class="column-more">.*?<a href="([^"]+)"', chunk, re.S)
        found[name] = {
            "count": re.search(r"data-count-display-of=\"[^\"]+\">(.*?)</span>", chunk).group(1),
            "value": html.unescape(
                re.search(r'data-value-of="[^"]+">(.*?)</span>', chunk).group(1)
            ),
            "cards": lead_names(_Page(chunk)),
            "more": html.unescape(more.group(1)) if more else None,
            "current": chunk.startswith(" is-current"),
        }
    return found


class _Page:
    """A piece of a page, readable by the helpers that take a response."""

    def __init__(self, text: str):
        self.content = text.encode()


def card_html(response, lead: Lead) -> str:
    text = response.content.decode()
    start = text.rindex("<li ", 0, text.index(f'data-lead-id="{lead.pk}"'))
    return text[start : text.index("</li>", start)]


def move(client, lead, stage, *, json_wanted=False, next_url=BOARD, **extra):
    data = {"lead_id": str(lead.pk), "stage_id": str(stage.pk), "next": next_url}
    if json_wanted:
        extra["HTTP_ACCEPT"] = "application/json"
    return client.post(MOVE, data, **extra)


def make_pipeline(name: str, stage_count: int, *, default: bool = False) -> Pipeline:
    statuses = ["New", "Contacted", "Qualified", "Proposal"]
    stages = [
        {"name": f"{name} {n}", "status": statuses[n % len(statuses)]} for n in range(stage_count)
    ]
    return pipeline_create(actor=Actor.system(), fields={"name": name, "is_default": default},
                           stages=stages)  # fmt: skip


# --- Columns and cards -------------------------------------------------------------------------


def test_one_column_per_stage_in_order_with_its_count_and_value_sum(rep, rep_client):
    make_lead(name="Asha", status="New", deal_value=Decimal("1000"), assigned_to=rep)
    make_lead(name="Rahul", status="New", deal_value=Decimal("250000.50"), assigned_to=rep)
    make_lead(name="Priya", status="New", assigned_to=rep)  # no value: counts, adds nothing
    make_lead(name="Arjun", status="Won", deal_value=Decimal("1800000"), assigned_to=rep)

    board = columns(rep_client.get(BOARD))

    assert list(board) == ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]
    assert (board["New"]["count"], board["New"]["value"]) == ("3 leads", "₹2,51,000.50")
    assert (board["Won"]["count"], board["Won"]["value"]) == ("1 lead", "₹18,00,000")
    assert (board["Lost"]["count"], board["Lost"]["value"]) == ("0 leads", "₹0")
    assert sorted(board["New"]["cards"]) == ["Asha", "Priya", "Rahul"]
    assert board["Won"]["cards"] == ["Arjun"]


def test_cards_are_newest_arrival_first_and_show_company_value_and_days_in_stage(rep, rep_client):
    now = timezone.now()
    older = make_lead(name="Asha", company="Sunrise Realty", deal_value=Decimal("450000"),
                      assigned_to=rep)  # fmt: skip
    newer = make_lead(name="Rahul", assigned_to=rep)
    Lead.objects.filter(pk=older.pk).update(stage_entered_at=now - dt.timedelta(days=3, hours=2))
    Lead.objects.filter(pk=newer.pk).update(stage_entered_at=now - dt.timedelta(hours=5))

    response = rep_client.get(BOARD)

    assert columns(response)["New"]["cards"] == ["Rahul", "Asha"]
    card = card_html(response, older)
    assert f'href="/leads/{older.pk}/"' in card
    assert "Sunrise Realty" in card
    assert "₹4,50,000" in card
    assert "3 days in stage" in card
    assert "Under a day in stage" in card_html(response, newer)
    assert "No deal value" in card_html(response, newer)


def test_an_admin_sees_each_cards_assignee(admin_user, admin_client, rep):
    lead = make_lead(name="Asha", assigned_to=rep)
    unassigned = make_lead(name="Nobody's")
    response = admin_client.get(BOARD)
    assert "rep@example.com" in card_html(response, lead)
    assert "Unassigned" in card_html(response, unassigned)


def test_a_card_rots_when_unchanged_longer_than_its_stage_allows(rep, rep_client):
    stages = stages_of_default()
    Stage.objects.filter(pk=stages["Qualified"].pk).update(rotting_days=5)
    now = timezone.now()
    stale = make_lead(name="Stale", status="Qualified", assigned_to=rep)
    fresh = make_lead(name="Fresh", status="Qualified", assigned_to=rep)
    no_limit = make_lead(name="Old but New stage", status="New", assigned_to=rep)
    Lead.objects.filter(pk=stale.pk).update(updated_at=now - dt.timedelta(days=6))
    Lead.objects.filter(pk=fresh.pk).update(updated_at=now - dt.timedelta(days=4))
    Lead.objects.filter(pk=no_limit.pk).update(updated_at=now - dt.timedelta(days=400))

    response = rep_client.get(BOARD)

    assert "Rotting" in card_html(response, stale)
    assert "is-rotting" in card_html(response, stale)
    assert "Rotting" not in card_html(response, fresh)
    assert "Rotting" not in card_html(response, no_limit)
    assert "rots after 5 days" in response.content.decode()


def test_a_column_shows_its_first_50_cards_and_links_to_the_rest_in_the_leads_list(rep, rep_client):
    for n in range(53):
        make_lead(name=f"Lead {n:02d}", status="Contacted", assigned_to=rep)
    make_lead(name="Only one", status="Won", assigned_to=rep)
    contacted = stages_of_default()["Contacted"]

    board = columns(rep_client.get(BOARD))

    assert len(board["Contacted"]["cards"]) == 50
    assert board["Contacted"]["count"] == "53 leads"
    assert board["Contacted"]["more"] == f"/leads/?stage={contacted.pk}"
    assert board["Won"]["more"] is None  # everything is on the board already
    listed = rep_client.get(board["Contacted"]["more"] + "&per_page=100")
    assert len(lead_names(listed)) == 53
    assert "Stage: Contacted (Sales)" in listed.content.decode()


# --- Filters and the pipeline switcher ---------------------------------------------------------


def test_unfiltered_column_totals_read_the_lead_counts_and_filtered_ones_count(rep, rep_client):
    """Unfiltered, the same cost at any number of leads (leads.tally.per_stage); a filter the
    counts do not hold (q) counts the matching leads."""
    make_lead(name="Asha", status="New", deal_value=Decimal("10"), assigned_to=rep)
    make_lead(name="Ravi", status="New", assigned_to=None)  # not the rep's
    for query, counted in (({}, True), ({"q": "asha"}, False)):
        with CaptureQueriesContext(connection) as queries:
            board = columns(rep_client.get(BOARD, query))
        assert (board["New"]["count"], board["New"]["value"]) == ("1 lead", "₹10")
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert ("leads_leadtally" in sql) is counted


def test_the_leads_list_filters_apply_to_counts_cards_and_the_link_to_the_rest(rep, rep_client):
    for n in range(51):
        make_lead(name=f"Hot {n}", priority="High", status="New", deal_value=10, assigned_to=rep)
    make_lead(name="Cold", priority="Low", status="New", deal_value=99, assigned_to=rep)
    make_lead(name="Hot won", priority="High", status="Won", assigned_to=rep)

    response = rep_client.get(BOARD, {"priority": "High", "q": "hot"})

    board = columns(response)
    assert (board["New"]["count"], board["New"]["value"]) == ("51 leads", "₹510")
    assert "Cold" not in board["New"]["cards"]
    assert board["Won"]["cards"] == ["Hot won"]
    query = parse_qs(urlsplit(board["New"]["more"]).query)
    assert query == {
        "q": ["hot"],
        "priority": ["High"],
        "stage": [str(stages_of_default()["New"].pk)],
    }
    listed = rep_client.get(board["New"]["more"] + "&per_page=100")
    assert len(lead_names(listed)) == 51
    assert "52 leads" in response.content.decode()  # the page's summary: every column


def test_the_board_has_no_status_filter(rep_client):
    page = rep_client.get(BOARD).content.decode()
    assert 'name="priority"' in page
    assert 'name="status"' not in page


def test_the_pipeline_switcher_shows_the_chosen_pipeline_and_the_default_without_one(
    rep, rep_client
):
    other = make_pipeline("Renewals", 3)
    renewal_stage = other.stages.get(position=2)
    make_lead(name="Renewing", stage=renewal_stage, assigned_to=rep)
    make_lead(name="Selling", assigned_to=rep)

    default_board = columns(rep_client.get(BOARD))
    assert list(default_board) == ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]
    assert default_board["New"]["cards"] == ["Selling"]

    response = rep_client.get(BOARD, {"pipeline": str(other.pk)})
    board = columns(response)
    assert list(board) == ["Renewals 0", "Renewals 1", "Renewals 2"]
    assert board["Renewals 1"]["cards"] == ["Renewing"]
    assert re.search(rf'<option value="{other.pk}" selected>Renewals</option>',
                     response.content.decode())  # fmt: skip


def test_an_unknown_pipeline_shows_the_default_one_and_says_so(rep_client):
    response = rep_client.get(BOARD, {"pipeline": "00000000-0000-0000-0000-000000000000"})
    assert next(iter(columns(response))) == "New"
    assert "Select a valid choice" in response.content.decode()


# --- Row-level security ------------------------------------------------------------------------


def test_a_rep_sees_only_their_own_leads_in_cards_and_totals(
    rep, other_rep, rep_client, admin_client
):
    make_lead(name="Mine", deal_value=100, assigned_to=rep)
    make_lead(name="Theirs", deal_value=5000, assigned_to=other_rep)
    make_lead(name="Nobody's", deal_value=7)

    mine = columns(rep_client.get(BOARD))["New"]
    assert (mine["cards"], mine["count"], mine["value"]) == (["Mine"], "1 lead", "₹100")

    theirs = columns(logged_in_client(other_rep).get(BOARD))["New"]
    assert (theirs["cards"], theirs["count"], theirs["value"]) == (["Theirs"], "1 lead", "₹5,000")

    everything = columns(admin_client.get(BOARD))["New"]
    assert (everything["count"], everything["value"]) == ("3 leads", "₹5,107")


def logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Phone: one stage at a time ----------------------------------------------------------------


def test_the_stage_tabs_mark_the_chosen_stage_and_default_to_the_first(rep_client):
    stages = stages_of_default()
    chosen = rep_client.get(BOARD, {"stage": str(stages["Won"].pk)})
    board = columns(chosen)
    assert [name for name, column in board.items() if column["current"]] == ["Won"]
    assert re.search(rf'data-stage-tab="{stages["Won"].pk}" aria-current="true"',
                     chosen.content.decode())  # fmt: skip
    first = columns(rep_client.get(BOARD))
    assert [name for name, column in first.items() if column["current"]] == ["New"]


# --- Moving a card ---------------------------------------------------------------------------


def test_a_form_post_moves_the_lead_and_goes_back_to_the_board_with_a_message(rep, rep_client):
    lead = make_lead(name="Asha", status="New", assigned_to=rep)
    qualified = stages_of_default()["Qualified"]

    response = move(rep_client, lead, qualified, next_url="/pipeline/?priority=High")

    assert response.status_code == 302
    assert response["Location"] == "/pipeline/?priority=High"
    lead.refresh_from_db()
    assert (lead.stage_id, lead.status) == (qualified.pk, "Qualified")
    event = Event.objects.filter(lead_id=lead.pk, verb="lead.updated").get()
    assert event.changes["status"] == ["New", "Qualified"]
    assert messages_shown(rep_client.get(response["Location"])) == ["Moved “Asha” to Qualified."]


def test_a_json_move_answers_the_new_card_and_every_columns_totals(rep, rep_client):
    lead = make_lead(name="Asha", status="New", deal_value=300, priority="High", assigned_to=rep)
    make_lead(name="Low one", status="Proposal", deal_value=50, priority="Low", assigned_to=rep)
    stages = stages_of_default()

    response = move(rep_client, lead, stages["Proposal"], json_wanted=True,
                    next_url="/pipeline/?priority=High")  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    proposal_id = str(stages["Proposal"].pk)
    assert body["lead"] == {"id": str(lead.pk), "name": "Asha", "stage_id": proposal_id,
                            "stage": "Proposal", "status": "Proposal"}  # fmt: skip
    assert body["changed"] is True
    assert body["message"] == "Moved “Asha” to Proposal."
    # Under the board's filter (priority High): the Low lead is not counted.
    assert body["columns"][str(stages["Proposal"].pk)] == {
        "count": 1, "count_display": "1 lead", "deal_value": "300.00", "deal_value_display": "₹300",
    }  # fmt: skip
    assert body["columns"][str(stages["New"].pk)]["count_display"] == "0 leads"
    assert set(body["columns"]) == {str(stage.pk) for stage in stages.values()}
    assert f'data-lead-id="{lead.pk}"' in body["card_html"]
    assert re.search(rf'<option value="{stages["Proposal"].pk}" selected>', body["card_html"])
    assert Lead.objects.get(pk=lead.pk).stage_id == stages["Proposal"].pk


def test_moving_to_the_stage_it_is_in_records_nothing(rep, rep_client):
    lead = make_lead(name="Asha", status="New", assigned_to=rep)
    body = move(rep_client, lead, stages_of_default()["New"], json_wanted=True).json()
    assert body["changed"] is False
    assert body["message"] == "“Asha” is already in New."
    assert not Event.objects.filter(lead_id=lead.pk, verb="lead.updated").exists()


def test_a_rep_cannot_move_another_reps_lead(rep_client, other_rep):
    theirs = make_lead(name="Theirs", status="New", assigned_to=other_rep)
    won = stages_of_default()["Won"]

    assert move(rep_client, theirs, won).status_code == 404
    refused = move(rep_client, theirs, won, json_wanted=True)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == "New"


def test_a_stage_of_another_pipeline_or_no_stage_is_refused(rep, rep_client):
    lead = make_lead(name="Asha", status="New", assigned_to=rep)
    elsewhere = make_pipeline("Renewals", 2).stages.first()

    refused = move(rep_client, lead, elsewhere, json_wanted=True)
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "stage_id"

    response = move(rep_client, lead, elsewhere)
    assert response.status_code == 302
    assert messages_shown(rep_client.get(response["Location"]))[0].startswith("Not moved: ")

    missing = rep_client.post(MOVE, {"lead_id": str(lead.pk)}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "code": "invalid_request",
        "field": "stage_id",
        "message": "Choose the stage to move the lead to.",
    }
    lead.refresh_from_db()
    assert lead.stage.name == "New"


def test_next_must_be_this_site(rep, rep_client):
    lead = make_lead(name="Asha", status="New", assigned_to=rep)
    response = move(rep_client, lead, stages_of_default()["Won"], next_url="https://evil.example/")
    assert response["Location"] == BOARD


def test_moving_needs_a_post_with_the_csrf_token(rep):
    lead = make_lead(name="Asha", status="New", assigned_to=rep)
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get(MOVE).status_code == 405
    assert move(client, lead, stages_of_default()["Won"]).status_code == 403
    lead.refresh_from_db()
    assert lead.status == "New"


def test_each_card_has_a_labelled_move_form_back_to_the_same_board(rep, rep_client):
    lead = make_lead(name="Asha", status="New", assigned_to=rep)
    response = rep_client.get(BOARD, {"priority": "Medium"})
    card = card_html(response, lead)
    assert f'<form method="post" action="{MOVE}" class="move-form">' in card
    label = '<span class="visually-hidden">Stage to move Asha to</span><select name="stage_id">'
    assert f"<label>{label}" in card
    assert '<input type="hidden" name="next" value="/pipeline/?priority=Medium">' in card
    assert re.search(r'name="csrfmiddlewaretoken" value="\w{64}"', card)
    assert card.count("<option ") == 6


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rep", "admin"])
def test_the_board_reads_the_same_number_of_queries_for_3_or_8_stages(
    rep, admin_user, django_assert_max_num_queries, who
):
    """Session, user, pipelines, their stages, the source list, (an admin: the assignee list),
    the totals and the cards: eight at most, whatever the number of stages or leads."""
    client = logged_in_client(rep if who == "rep" else admin_user)
    counts = {}
    for stage_count, leads_per_stage in ((3, 2), (8, 60)):
        pipeline = make_pipeline(f"P{stage_count}", stage_count)
        for stage in pipeline.stages.all():
            for n in range(leads_per_stage):
                make_lead(stage=stage, assigned_to=rep, deal_value=n)
        # Each request starts cold: the source list is read, not taken from the cache.
        if hasattr(cache, "delete_pattern"):  # Redis: only this worker's keys
            cache.delete_pattern("*")
        else:
            cache.clear()
        with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as queries:
            response = client.get(BOARD, {"pipeline": str(pipeline.pk), "priority": "Medium"})
        board = columns(response)
        assert len(board) == stage_count
        assert all(len(column["cards"]) == min(leads_per_stage, 50) for column in board.values())
        counts[stage_count] = len(queries)
    assert counts[3] == counts[8]


# --- The drag-and-drop library: vendored, pinned, served from here --------------------------------


def test_the_vendored_sortablejs_is_the_version_package_json_pins():
    root = Path(settings.BASE_DIR)
    pinned = json.loads((root / "package.json").read_text())["dependencies"]["sortablejs"]
    locked = json.loads((root / "package-lock.json").read_text())
    assert locked["packages"]["node_modules/sortablejs"]["version"] == pinned
    vendored = root / "static" / "vendor" / "sortablejs"
    assert (vendored / "Sortable.min.js").read_text().startswith(f"/*! Sortable {pinned} ")
    assert "MIT License" in (vendored / "LICENSE").read_text()


def test_the_board_loads_its_scripts_from_this_site(rep_client):
    page = rep_client.get(BOARD).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert "/static/vendor/sortablejs/Sortable.min.js" in scripts
    assert "/static/js/board.js" in scripts
    assert all(src.startswith("/static/") for src in scripts)
    assert '<link rel="stylesheet" href="/static/css/board.css">' in page


# --- The leads list's pipeline and stage filters (the columns' "see all" links) ------------------


def test_the_leads_list_filters_by_stage_and_by_pipeline(rep, rep_client):
    renewals = make_pipeline("Renewals", 2)
    make_lead(name="Renewing", stage=renewals.stages.first(), assigned_to=rep)
    make_lead(name="Selling new", status="New", assigned_to=rep)
    make_lead(name="Selling won", status="Won", assigned_to=rep)
    won = stages_of_default()["Won"]

    assert lead_names(rep_client.get("/leads/", {"stage": str(won.pk)})) == ["Selling won"]
    by_pipeline = rep_client.get("/leads/", {"pipeline": str(renewals.pk)})
    assert lead_names(by_pipeline) == ["Renewing"]
    assert "Pipeline: Renewals" in by_pipeline.content.decode()
    unknown = rep_client.get("/leads/", {"stage": "00000000-0000-0000-0000-000000000000"})
    assert lead_names(unknown) == []
    assert "Stage: not found" in unknown.content.decode()
