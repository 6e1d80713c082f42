"""Settings → Pipelines: admins create, rename, choose the default, add, reorder and archive
stages and pipelines through pipelines.services (the same rules, one event per change); a
stage or pipeline holding leads is not archived; archived ones leave the main list; a sales
rep cannot use any of it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, Verb
from events.services import Actor
from pipelines.models import Pipeline, Stage
from pipelines.services import pipeline_create, stage_archive, stage_create
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LIST = "/settings/pipelines/"
NEW = "/settings/pipelines/new/"
DEFAULT_ROWS = 6  # the new-pipeline page starts with the default pipeline's six stages
EMPTY_ROWS = 4


def sales() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def stage_of(pipeline: Pipeline, name: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline, name=name, archived_at__isnull=True)


def page_events():
    """The events the pages recorded (fixtures write theirs as the system)."""
    return Event.objects.filter(channel="web")


def a_pipeline(name="Partners", stages=("Intro", "Talks", "Signed")) -> Pipeline:
    statuses = ["New", "Qualified", "Won", "Contacted", "Proposal", "Lost"]
    return pipeline_create(
        actor=Actor.system(),
        fields={"name": name},
        stages=[{"name": n, "status": statuses[i % 6]} for i, n in enumerate(stages)],
    )


def new_pipeline_form(name, rows, *, is_default=False) -> dict:
    """What the new-pipeline page posts: its ten rows, `rows` (name, status, probability,
    rotting days) filled in first and the rest left empty."""
    data = {
        "name": name,
        "stages-TOTAL_FORMS": str(DEFAULT_ROWS + EMPTY_ROWS),
        "stages-INITIAL_FORMS": str(DEFAULT_ROWS),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "30",
    }
    if is_default:
        data["is_default"] = "on"
    for index in range(DEFAULT_ROWS + EMPTY_ROWS):
        stage_name, status, probability, rotting = (
            rows[index] if index < len(rows) else ("", "", "", "")
        )
        data[f"stages-{index}-name"] = stage_name
        data[f"stages-{index}-status"] = status
        data[f"stages-{index}-probability"] = probability
        data[f"stages-{index}-rotting_days"] = rotting
    return data


def shown_stage_names(response, pipeline: Pipeline) -> list[str]:
    """The stage names in the pipeline's table on the list page, top to bottom."""
    html = response.content.decode()
    section = html.split(f'id="pipeline-{pipeline.pk}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td data-label="Stage" class="stage-name compact">([^<]*)</td>', section)


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_each_pipeline_with_its_stages_in_order_and_lead_counts(admin_client):
    make_lead(stage=stage_of(sales(), "Won"))
    make_lead(stage=stage_of(sales(), "Won"))
    partners = a_pipeline()
    response = admin_client.get(LIST)
    assert response.status_code == 200
    assert shown_stage_names(response, sales()) == [
        "New", "Contacted", "Qualified", "Proposal", "Won", "Lost"
    ]  # fmt: skip
    assert shown_stage_names(response, partners) == ["Intro", "Talks", "Signed"]
    rows = {stage.name: count for stage, count in response.context["pipelines"][0].rows}
    assert rows["Won"] == 2
    assert rows["New"] == 0
    assert "Default" in response.content.decode().split(f'id="pipeline-{partners.pk}"')[0]


def test_the_list_runs_the_same_queries_for_3_stages_as_for_10(
    admin_client, django_assert_max_num_queries
):
    partners = a_pipeline(stages=("One", "Two", "Three"))
    make_lead(stage=stage_of(partners, "Two"))
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(LIST).status_code == 200
    for n in range(4, 11):
        stage = stage_create(actor=Actor.system(), pipeline=partners,
                             fields={"name": f"Stage {n}", "status": "Lost"})  # fmt: skip
        make_lead(stage=stage)
    stage_archive(actor=Actor.system(), stage=stage_of(partners, "Three"))
    a_pipeline(name="More", stages=[f"M{n}" for n in range(10)])
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(LIST)
    assert len(shown_stage_names(response, partners)) == 9
    assert len(many) == len(few)
    # Session and user; pipelines, their stages, their archived stages; lead counts (one
    # GROUP BY); archived pipelines.
    with django_assert_max_num_queries(7):
        admin_client.get(LIST)


# --- Pipelines ------------------------------------------------------------------------------


def test_the_new_pipeline_page_starts_with_the_default_stages_filled_in(admin_client):
    response = admin_client.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    for index, name in enumerate(["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]):
        assert f'name="stages-{index}-name" value="{name}"' in html
    assert 'name="stages-9-name"' in html
    assert 'name="stages-TOTAL_FORMS" value="10"' in html


def test_admin_creates_a_pipeline_with_its_stages_in_the_order_given(admin_client, admin_user):
    rows = [("Intro", "New", "5", ""), ("", "Contacted", "20", ""),  # a row left without a name
            ("Demo", "Qualified", "30", "14"), ("Signed", "Won", "100", "")]  # fmt: skip
    response = admin_client.post(NEW, new_pipeline_form("Partners", rows))
    assert response.status_code == 302
    assert response["Location"] == LIST
    partners = Pipeline.objects.get(name="Partners")
    assert not partners.is_default
    stages = list(partners.stages.order_by("position").values_list(
        "name", "status", "probability", "rotting_days", "position"))  # fmt: skip
    assert stages == [("Intro", "New", 5, None, 1), ("Demo", "Qualified", 30, 14, 2),
                      ("Signed", "Won", 100, None, 3)]  # fmt: skip
    event = page_events().get()
    assert event.verb == Verb.PIPELINE_CREATED
    assert (event.subject_id, event.actor) == (str(partners.pk), admin_user)
    followed = admin_client.get(LIST)
    assert "Created the pipeline “Partners”." in followed.content.decode()
    assert shown_stage_names(followed, partners) == ["Intro", "Demo", "Signed"]


def test_a_new_pipeline_can_be_made_the_default(admin_client):
    previous = sales()
    response = admin_client.post(
        NEW, new_pipeline_form("Inbound", [("Fresh", "New", "0", "")], is_default=True)
    )
    assert response.status_code == 302
    assert sales().name == "Inbound"
    previous.refresh_from_db()
    assert not previous.is_default


def test_a_pipeline_without_a_named_stage_is_refused(admin_client):
    response = admin_client.post(NEW, new_pipeline_form("Empty", [("", "", "", "")] * 10))
    assert response.status_code == 400
    assert "A pipeline has at least one stage." in response.content.decode()
    assert not Pipeline.objects.filter(name="Empty").exists()
    assert not page_events().exists()


def test_a_bad_stage_row_shows_its_error_on_that_row(admin_client):
    rows = [("Intro", "New", "5", ""), ("Talks", "", "500", ""), ("intro", "Won", "", "")]
    response = admin_client.post(NEW, new_pipeline_form("Partners", rows))
    assert response.status_code == 400
    forms = response.context["rows"].forms
    assert forms[0].errors == {}
    assert forms[1].errors == {"status": ["Choose the status its leads report."]}
    response = admin_client.post(NEW, new_pipeline_form("Partners", [rows[0], rows[2]]))
    assert response.status_code == 400
    forms = response.context["rows"].forms
    assert forms[1].errors == {"name": ["Two stages have the same name."]}
    rows = [("Intro", "New", "101", "")]
    response = admin_client.post(NEW, new_pipeline_form("Partners", rows))
    assert response.context["rows"].forms[0].errors == {"probability": ["Must be from 0 to 100."]}
    assert 'class="field-error" role="alert">Must be from 0 to 100.' in response.content.decode()
    assert not Pipeline.objects.filter(name="Partners").exists()
    assert not page_events().exists()


def test_a_pipeline_name_in_use_is_refused_next_to_the_name(admin_client):
    response = admin_client.post(NEW, new_pipeline_form("SALES", [("Intro", "New", "", "")]))
    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["Another pipeline has this name."]}
    assert Pipeline.objects.count() == 1


def test_admin_renames_a_pipeline(admin_client):
    pipeline = sales()
    url = f"/settings/pipelines/{pipeline.pk}/edit/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"name": "  Direct   sales "})
    assert response.status_code == 302
    pipeline.refresh_from_db()
    assert (pipeline.name, pipeline.is_default) == ("Direct sales", True)
    event = page_events().get()
    assert event.verb == Verb.PIPELINE_UPDATED
    assert event.changes == {"name": ["Sales", "Direct sales"]}


def test_admin_makes_another_pipeline_the_default(admin_client):
    partners = a_pipeline()
    response = admin_client.post(
        f"/settings/pipelines/{partners.pk}/edit/", {"name": "Partners", "is_default": "on"}
    )
    assert response.status_code == 302
    assert sales() == partners
    assert Pipeline.objects.filter(is_default=True).count() == 1
    event = page_events().get()
    assert (event.verb, event.changes) == (Verb.PIPELINE_UPDATED, {"is_default": [False, True]})


def test_the_default_pipeline_stays_the_default_when_its_box_is_not_sent(admin_client):
    pipeline = sales()
    response = admin_client.post(f"/settings/pipelines/{pipeline.pk}/edit/", {"name": "Sales"})
    assert response.status_code == 302
    assert sales() == pipeline
    assert not page_events().exists()  # nothing changed, nothing recorded


def test_admin_archives_an_empty_pipeline(admin_client):
    partners = a_pipeline()
    url = f"/settings/pipelines/{partners.pk}/archive/"
    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert "Archive pipeline</button>" in confirm.content.decode()
    response = admin_client.post(url)
    assert response.status_code == 302
    partners.refresh_from_db()
    assert partners.is_archived
    assert page_events().get().verb == Verb.PIPELINE_ARCHIVED
    listed = admin_client.get(LIST)
    assert [p.pk for p in listed.context["pipelines"]] == [sales().pk]
    assert [p.pk for p in listed.context["archived_pipelines"]] == [partners.pk]
    assert f'id="pipeline-{partners.pk}"' not in listed.content.decode()
    assert admin_client.get(f"/settings/pipelines/{partners.pk}/edit/").status_code == 404


def test_archiving_the_default_pipeline_is_refused(admin_client):
    pipeline = sales()
    url = f"/settings/pipelines/{pipeline.pk}/archive/"
    assert "Archive pipeline</button>" not in admin_client.get(url).content.decode()
    response = admin_client.post(url, follow=True)
    assert "The default pipeline cannot be archived; choose another first." in (
        response.content.decode()
    )
    pipeline.refresh_from_db()
    assert not pipeline.is_archived
    assert not page_events().exists()


def test_archiving_a_pipeline_holding_leads_is_refused(admin_client):
    partners = a_pipeline()
    make_lead(stage=stage_of(partners, "Talks"))
    response = admin_client.post(f"/settings/pipelines/{partners.pk}/archive/", follow=True)
    assert "Move this pipeline&#x27;s leads to another pipeline first." in (
        response.content.decode()
    )
    partners.refresh_from_db()
    assert not partners.is_archived
    assert not page_events().exists()


# --- Stages ---------------------------------------------------------------------------------


def test_admin_adds_a_stage_at_the_end(admin_client):
    pipeline = sales()
    response = admin_client.post(
        f"/settings/pipelines/{pipeline.pk}/stages/new/",
        {"name": "On hold", "status": "Contacted", "probability": "15", "rotting_days": "30"},
    )
    assert response.status_code == 302
    stage = stage_of(pipeline, "On hold")
    assert stage.position == 7
    assert (stage.status, stage.probability, stage.rotting_days) == ("Contacted", 15, 30)
    event = page_events().get()
    assert (event.verb, event.subject_id) == (Verb.STAGE_CREATED, str(stage.pk))
    assert shown_stage_names(admin_client.get(LIST), pipeline)[-1] == "On hold"


def test_a_duplicate_stage_name_is_shown_next_to_the_name_field(admin_client):
    pipeline = sales()
    response = admin_client.post(
        f"/settings/pipelines/{pipeline.pk}/stages/new/",
        {"name": "won", "status": "Won", "probability": "100"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {"name": ["This pipeline already has a stage with this name."]}
    name_field = response.content.decode().split('for="id_name"', 1)[1].split('for="id_status"')[0]
    assert "This pipeline already has a stage with this name." in name_field
    assert pipeline.stages.count() == 6
    assert not page_events().exists()


def test_admin_edits_a_stage(admin_client):
    stage = stage_of(sales(), "Proposal")
    url = f"/settings/pipelines/stages/{stage.pk}/edit/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, {"name": "Quote sent", "status": "Proposal", "probability": "70", "rotting_days": "7"}
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.probability, stage.rotting_days) == ("Quote sent", 70, 7)
    event = page_events().get()
    assert event.verb == Verb.STAGE_UPDATED
    assert event.changes == {
        "name": ["Proposal", "Quote sent"], "probability": [60, 70], "rotting_days": [None, 7]
    }  # fmt: skip


def test_the_status_of_a_stage_holding_leads_does_not_change(admin_client):
    stage = stage_of(sales(), "Won")
    make_lead(stage=stage)
    url = f"/settings/pipelines/stages/{stage.pk}/edit/"
    assert "move them to another stage before changing its status" in (
        admin_client.get(url).content.decode()
    )
    response = admin_client.post(url, {"name": "Won", "status": "Lost", "probability": "100"})
    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.status == "Won"
    assert not page_events().exists()


def test_moving_stages_up_and_down_changes_the_order_shown(admin_client):
    pipeline = sales()
    contacted = stage_of(pipeline, "Contacted")
    url = f"/settings/pipelines/stages/{contacted.pk}/move/"
    response = admin_client.post(url, {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}#pipeline-{pipeline.pk}"
    order = ["Contacted", "New", "Qualified", "Proposal", "Won", "Lost"]
    assert shown_stage_names(admin_client.get(LIST), pipeline) == order
    event = page_events().get()
    assert event.verb == Verb.PIPELINE_UPDATED
    assert event.changes["stages"][1] == order

    admin_client.post(url, {"direction": "down"})
    admin_client.post(url, {"direction": "down"})
    assert shown_stage_names(admin_client.get(LIST), pipeline) == [
        "New", "Qualified", "Contacted", "Proposal", "Won", "Lost"
    ]  # fmt: skip
    assert page_events().count() == 3


def test_the_first_stage_does_not_move_up(admin_client):
    pipeline = sales()
    new = stage_of(pipeline, "New")
    response = admin_client.post(f"/settings/pipelines/stages/{new.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert shown_stage_names(admin_client.get(LIST), pipeline)[0] == "New"
    assert not page_events().exists()


def test_admin_archives_an_empty_stage(admin_client):
    pipeline = sales()
    lost = stage_of(pipeline, "Lost")
    url = f"/settings/pipelines/stages/{lost.pk}/archive/"
    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert "Archive stage</button>" in confirm.content.decode()
    response = admin_client.post(url)
    assert response.status_code == 302
    lost.refresh_from_db()
    assert lost.is_archived
    assert page_events().get().verb == Verb.STAGE_ARCHIVED
    listed = admin_client.get(LIST)
    assert "Lost" not in shown_stage_names(listed, pipeline)
    archived = listed.content.decode().split('id="archived-stages"', 1)[1]
    assert f'data-stage-id="{lost.pk}"' in archived
    assert admin_client.get(f"/settings/pipelines/stages/{lost.pk}/edit/").status_code == 404


def test_archiving_a_stage_holding_leads_is_refused_with_the_reason(admin_client):
    won = stage_of(sales(), "Won")
    make_lead(stage=won)
    url = f"/settings/pipelines/stages/{won.pk}/archive/"
    confirm = admin_client.get(url).content.decode()
    assert "It holds 1 lead" in confirm
    assert "Archive stage</button>" not in confirm
    response = admin_client.post(url, follow=True)
    assert "This stage holds leads: move them to another stage first." in (
        response.content.decode()
    )
    won.refresh_from_db()
    assert not won.is_archived
    assert "Won" in shown_stage_names(admin_client.get(LIST), sales())
    assert not page_events().exists()


def test_the_last_stage_of_a_pipeline_is_not_archived(admin_client):
    solo = a_pipeline(name="Solo", stages=("Only",))
    only = stage_of(solo, "Only")
    response = admin_client.post(f"/settings/pipelines/stages/{only.pk}/archive/", follow=True)
    assert "A pipeline keeps at least one stage." in response.content.decode()
    only.refresh_from_db()
    assert not only.is_archived


# --- Who may --------------------------------------------------------------------------------


def _pages():
    pipeline, stage = sales(), stage_of(sales(), "Lost")
    return [
        LIST, NEW, f"/settings/pipelines/{pipeline.pk}/edit/",
        f"/settings/pipelines/{pipeline.pk}/archive/",
        f"/settings/pipelines/{pipeline.pk}/stages/new/",
        f"/settings/pipelines/stages/{stage.pk}/edit/",
        f"/settings/pipelines/stages/{stage.pk}/archive/",
    ]  # fmt: skip


def test_a_sales_rep_cannot_reach_the_pages(rep_client):
    for path in _pages():
        assert rep_client.get(path).status_code == 403, path
    assert "Settings · Pipelines" not in rep_client.get("/").content.decode()
    page = rep_client.get("/settings/pipelines/").content.decode()
    assert "Only admins change pipelines." in page  # the app's page, not a bare error


def test_a_sales_rep_cannot_post_to_the_pages(rep_client):
    pipeline, lost = sales(), stage_of(sales(), "Lost")
    posts = [
        (NEW, new_pipeline_form("Mine", [("Intro", "New", "", "")], is_default=True)),
        (f"/settings/pipelines/{pipeline.pk}/edit/", {"name": "Hijacked"}),
        (f"/settings/pipelines/{pipeline.pk}/stages/new/", {"name": "X", "status": "New",
                                                            "probability": "0"}),
        (f"/settings/pipelines/stages/{lost.pk}/edit/", {"name": "Gone", "status": "Lost",
                                                         "probability": "0"}),
        (f"/settings/pipelines/stages/{lost.pk}/move/", {"direction": "up"}),
        (f"/settings/pipelines/stages/{lost.pk}/archive/", {}),
    ]  # fmt: skip
    for path, data in posts:
        assert rep_client.post(path, data).status_code == 403, path
    assert list(Pipeline.objects.values_list("name", flat=True)) == ["Sales"]
    assert list(pipeline.stages.order_by("position").values_list("name", flat=True)) == [
        "New", "Contacted", "Qualified", "Proposal", "Won", "Lost"
    ]  # fmt: skip
    assert not Stage.objects.filter(archived_at__isnull=False).exists()
    assert not Event.objects.exists()


def test_the_pages_require_login(client):
    for path in _pages():
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next=")


def test_an_admin_sees_the_link_to_the_pages(admin_client):
    assert 'href="/settings/pipelines/"' in admin_client.get("/").content.decode()
