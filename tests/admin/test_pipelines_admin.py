"""Pipelines and stages in the Django admin: added and edited through pipelines.services (the
same rules, one event each, refusals shown next to the field, never an error page); nothing is
deleted, "Archive selected" archives through the services and reports what they refuse;
archived rows are read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from events.models import Event, Verb
from events.services import Actor
from pipelines.models import Pipeline, Stage
from pipelines.services import pipeline_create, stage_archive
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin_user):
    client.force_login(admin_user)
    return client


def sales() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def stage_of(pipeline: Pipeline, name: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline, name=name, archived_at__isnull=True)


def a_pipeline(name="Partners") -> Pipeline:
    return pipeline_create(
        actor=Actor.system(),
        fields={"name": name},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )


def admin_events():
    return Event.objects.filter(channel="admin")


def stage_form(stage: Stage | None = None, **overrides) -> dict:
    values = {"name": "", "status": "New", "probability": "0", "rotting_days": ""}
    if stage is not None:
        values.update(name=stage.name, status=stage.status, probability=str(stage.probability),
                      rotting_days=stage.rotting_days or "")  # fmt: skip
    return {**values, **overrides}


def action(browser, model: str, name: str, objects) -> str:
    response = browser.post(
        reverse(f"admin:pipelines_{model}_changelist"),
        {"action": name, "_selected_action": [str(obj.pk) for obj in objects]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_pipelines_and_stages_are_in_the_admin(browser):
    registered = {model._meta.label for model in admin.site._registry}
    assert {"pipelines.Pipeline", "pipelines.Stage"} <= registered
    stage = stage_of(sales(), "Won")
    for url in [
        reverse("admin:pipelines_pipeline_changelist"),
        reverse("admin:pipelines_pipeline_add"),
        reverse("admin:pipelines_pipeline_change", args=[sales().pk]),
        reverse("admin:pipelines_stage_changelist"),
        reverse("admin:pipelines_stage_add"),
        reverse("admin:pipelines_stage_change", args=[stage.pk]),
    ]:
        assert browser.get(url).status_code == 200, url
    assert browser.get(reverse("admin:pipelines_stage_changelist"), {"q": "won"}).status_code == 200


# --- Stages ---------------------------------------------------------------------------------


def test_adding_a_stage_goes_through_the_service_and_records_the_event(browser, admin_user):
    pipeline = sales()
    response = browser.post(
        reverse("admin:pipelines_stage_add"),
        stage_form(pipeline=str(pipeline.pk), name="On hold", status="Contacted", probability="15"),
    )
    assert response.status_code == 302
    stage = stage_of(pipeline, "On hold")
    assert (stage.position, stage.status, stage.probability) == (7, "Contacted", 15)
    event = admin_events().get()
    assert event.verb == Verb.STAGE_CREATED
    assert (event.subject_id, event.actor) == (str(stage.pk), admin_user)


def test_editing_a_stage_goes_through_the_service_and_records_the_event(browser):
    stage = stage_of(sales(), "Proposal")
    response = browser.post(
        reverse("admin:pipelines_stage_change", args=[stage.pk]),
        stage_form(stage, name="Quote sent", rotting_days="10"),
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.rotting_days, stage.position) == ("Quote sent", 10, 4)
    event = admin_events().get()
    assert event.verb == Verb.STAGE_UPDATED
    assert event.changes == {"name": ["Proposal", "Quote sent"], "rotting_days": [None, 10]}


def test_a_probability_over_100_is_a_form_error(browser):
    stage = stage_of(sales(), "Won")
    response = browser.post(
        reverse("admin:pipelines_stage_change", args=[stage.pk]),
        stage_form(stage, probability="101"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"probability": ["Must be from 0 to 100."]}
    stage.refresh_from_db()
    assert stage.probability == 100
    assert not admin_events().exists()


def test_a_stage_name_in_use_in_the_pipeline_is_a_form_error(browser):
    pipeline = sales()
    response = browser.post(
        reverse("admin:pipelines_stage_add"), stage_form(pipeline=str(pipeline.pk), name="WON")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["This pipeline already has a stage with this name."]
    }
    assert pipeline.stages.count() == 6


def test_the_status_of_a_stage_holding_leads_is_a_form_error_not_a_crash(browser):
    stage = stage_of(sales(), "Won")
    make_lead(stage=stage)
    response = browser.post(
        reverse("admin:pipelines_stage_change", args=[stage.pk]), stage_form(stage, status="Lost")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "status": ["This stage holds leads: move them before changing its status."]
    }
    stage.refresh_from_db()
    assert stage.status == "Won"
    assert not admin_events().exists()


def test_stages_are_added_only_to_active_pipelines(browser):
    archived = a_pipeline("Old")
    browser.post(
        reverse("admin:pipelines_pipeline_changelist"),
        {"action": "archive_selected", "_selected_action": [str(archived.pk)]},
    )
    response = browser.post(
        reverse("admin:pipelines_stage_add"), stage_form(pipeline=str(archived.pk), name="Late")
    )
    assert response.status_code == 200
    assert "pipeline" in response.context["adminform"].form.errors
    assert not Stage.objects.filter(name="Late").exists()


def test_stages_are_not_deleted_but_archived(browser):
    won, lost = stage_of(sales(), "Won"), stage_of(sales(), "Lost")
    make_lead(stage=won)
    changelist = browser.get(reverse("admin:pipelines_stage_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert "archive_selected" in changelist
    delete_url = reverse("admin:pipelines_stage_delete", args=[lost.pk])
    assert browser.post(delete_url, {"post": "yes"}).status_code == 403
    assert Stage.objects.filter(pk=lost.pk).exists()

    page = action(browser, "stage", "archive_selected", [won, lost])
    assert "Archived the stage: “Lost” (Sales)." in page
    assert "“Won” (Sales) was not archived: This stage holds leads: move them to another stage" in (
        page
    )
    won.refresh_from_db()
    lost.refresh_from_db()
    assert (won.is_archived, lost.is_archived) == (False, True)
    assert list(admin_events().values_list("verb", "subject_id")) == [
        (Verb.STAGE_ARCHIVED, str(lost.pk))
    ]


def test_an_archived_stage_is_read_only(browser):
    lost = stage_of(sales(), "Lost")
    stage_archive(actor=Actor.system(), stage=lost)
    url = reverse("admin:pipelines_stage_change", args=[lost.pk])
    page = browser.get(url)
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    browser.post(url, stage_form(lost, name="Revived"))
    lost.refresh_from_db()
    assert lost.name == "Lost"
    assert not admin_events().exists()


# --- Pipelines ------------------------------------------------------------------------------


def test_adding_a_pipeline_creates_it_with_the_six_default_stages(browser, admin_user):
    response = browser.post(reverse("admin:pipelines_pipeline_add"), {"name": "Partners"})
    assert response.status_code == 302
    partners = Pipeline.objects.get(name="Partners")
    assert not partners.is_default
    assert list(partners.stages.order_by("position").values_list("name", "status")) == [
        ("New", "New"), ("Contacted", "Contacted"), ("Qualified", "Qualified"),
        ("Proposal", "Proposal"), ("Won", "Won"), ("Lost", "Lost"),
    ]  # fmt: skip
    event = admin_events().get()
    assert event.verb == Verb.PIPELINE_CREATED
    assert (event.subject_id, event.actor) == (str(partners.pk), admin_user)


def test_renaming_and_making_a_pipeline_the_default_go_through_the_service(browser):
    partners = a_pipeline()
    response = browser.post(
        reverse("admin:pipelines_pipeline_change", args=[partners.pk]),
        {"name": "Partner deals", "make_default": "on"},
    )
    assert response.status_code == 302
    partners.refresh_from_db()
    assert (partners.name, partners.is_default) == ("Partner deals", True)
    assert Pipeline.objects.filter(is_default=True).count() == 1
    event = admin_events().get()
    assert event.verb == Verb.PIPELINE_UPDATED
    assert event.changes == {"name": ["Partners", "Partner deals"], "is_default": [False, True]}


def test_a_pipeline_name_in_use_is_a_form_error(browser):
    response = browser.post(reverse("admin:pipelines_pipeline_add"), {"name": "sales"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["Another pipeline has this name."]
    }
    assert Pipeline.objects.count() == 1


def test_pipelines_are_not_deleted_but_archived(browser):
    partners = a_pipeline()
    changelist = browser.get(reverse("admin:pipelines_pipeline_changelist")).content.decode()
    assert "delete_selected" not in changelist
    delete_url = reverse("admin:pipelines_pipeline_delete", args=[partners.pk])
    assert browser.post(delete_url, {"post": "yes"}).status_code == 403

    page = action(browser, "pipeline", "archive_selected", [sales(), partners])
    assert "Archived the pipeline: “Partners”." in page
    assert "“Sales” was not archived: The default pipeline cannot be archived" in page
    partners.refresh_from_db()
    assert partners.is_archived
    assert not sales().is_archived
    assert list(admin_events().values_list("verb", flat=True)) == [Verb.PIPELINE_ARCHIVED]

    change = browser.get(reverse("admin:pipelines_pipeline_change", args=[partners.pk]))
    assert change.status_code == 200
    assert 'name="name"' not in change.content.decode()  # archived: read-only


def test_a_pipeline_holding_leads_is_not_archived(browser):
    partners = a_pipeline()
    make_lead(stage=stage_of(partners, "Intro"))
    page = action(browser, "pipeline", "archive_selected", [partners])
    assert "“Partners” was not archived: Move this pipeline" in page
    partners.refresh_from_db()
    assert not partners.is_archived
    assert not admin_events().exists()
