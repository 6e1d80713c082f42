"""Bulk actions on the leads list (issue 14, "Acting on many leads"): assign, change status or
stage, add or remove a tag, delete; chosen as ticked rows, the page, or every lead matching the
filters (at most 5,000). Through leads.bulk: the single edits' rules, one event per lead
changed, done and skipped counted with the reasons. The pages confirm the count before
anything changes, and report what was done."""

import contextlib
import random
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from calls import tally as call_tally
from calls.models import CallLog
from core.errors import Forbidden, NotFound, ServiceError
from events.models import Channel, Event
from events.services import Actor
from leads import tally
from leads.bulk import (
    MAX_LEADS,
    NOT_FOUND,
    leads_bulk_add_tags,
    leads_bulk_delete,
    leads_bulk_remove_tag,
    leads_bulk_update,
)
from leads.models import Lead, Note
from leads.rules import MAX_TAGS
from leads.services import lead_add_note, lead_update
from pipelines.models import Pipeline, Stage
from pipelines.selectors import Placement
from pipelines.services import pipeline_create
from tests.factories import make_call, make_lead
from webhooks.models import Message
from webhooks.services import webhook_create

from .conftest import logged_in
from .helpers import REDIS_DOWN, messages_shown

LIST = "/leads/"
BULK = "/leads/bulk/"


def web(user) -> Actor:
    return Actor(user=user, channel=Channel.WEB)


def ids(leads) -> list[str]:
    return [str(lead.pk) for lead in leads]


def updated_events(leads) -> list[Event]:
    return list(Event.objects.filter(verb="lead.updated", lead_id__in=[lead.pk for lead in leads]))


def assert_counts_match() -> None:
    leads_cube = {cell: total for cell, total in tally.cube(Lead).items() if total != [0, 0]}
    assert tally.kept() == leads_cube
    assert call_tally.kept() == call_tally.cube(CallLog)


def default_stage(name: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, name=name)


@pytest.fixture
def lean():
    """A second pipeline, without a Won stage."""
    return pipeline_create(
        actor=Actor.system(),
        fields={"name": "Lean"},
        stages=[{"name": "Talking", "status": "New"}, {"name": "Dropped", "status": "Lost"}],
    )


def many_leads(count: int, **fields) -> list[Lead]:
    """`count` new leads in one insert (their counts rebuilt after), for the size limits."""
    stage = Placement().stage_for(current=None, status="New")
    leads = []
    for number in range(count):
        lead = Lead(name=f"Bulk {number:05d}", phone=f"+9196{number:08d}", stage=stage,
                    status=stage.status, **fields)  # fmt: skip
        lead.derive()
        leads.append(lead)
    Lead.objects.bulk_create(leads, batch_size=500)
    tally.rebuild()
    return leads


# --- The services ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_assign_records_one_event_per_lead_changed_and_leaves_those_already_assigned(
    admin_user, rep, other_rep
):
    mine = make_lead(name="Mine", assigned_to=rep)
    theirs = make_lead(name="Theirs", assigned_to=other_rep)
    nobody = make_lead(name="Nobody")

    result = leads_bulk_update(
        actor=web(admin_user), lead_ids=ids([mine, theirs, nobody]), fields={"assigned_to": rep}
    )

    assert (result.done, result.unchanged, result.skipped) == (2, 1, {})
    assert set(Lead.objects.values_list("assigned_to", flat=True)) == {rep.pk}
    events = {event.subject_repr: event for event in updated_events([mine, theirs, nobody])}
    assert set(events) == {"Theirs", "Nobody"}
    assert events["Theirs"].changes == {"assigned_to": [other_rep.email, rep.email]}
    assert events["Nobody"].changes == {"assigned_to": [None, rep.email]}
    assert events["Theirs"].snapshot["assigned_to"] == rep.email
    assert events["Theirs"].channel == Channel.WEB
    assert events["Theirs"].actor_email == admin_user.email
    theirs.refresh_from_db()
    assert theirs.updated_at > mine.updated_at
    assert_counts_match()


@pytest.mark.django_db
def test_an_admin_can_unassign_leads(admin_user, rep):
    leads = [make_lead(assigned_to=rep), make_lead(assigned_to=rep)]
    result = leads_bulk_update(
        actor=web(admin_user), lead_ids=ids(leads), fields={"assigned_to": None}
    )
    assert result.done == 2
    assert not Lead.objects.filter(assigned_to__isnull=False).exists()
    assert_counts_match()


@pytest.mark.django_db
def test_a_rep_can_assign_only_to_themselves(rep, other_rep):
    lead = make_lead(assigned_to=rep)
    with pytest.raises(Forbidden) as refused:
        leads_bulk_update(actor=web(rep), lead_ids=ids([lead]), fields={"assigned_to": other_rep})
    assert refused.value.message == "Sales reps can assign leads only to themselves."
    lead.refresh_from_db()
    assert lead.assigned_to == rep
    # "Nobody" from a rep means themselves, as in a single edit: nothing to change here.
    result = leads_bulk_update(actor=web(rep), lead_ids=ids([lead]), fields={"assigned_to": None})
    assert (result.done, result.unchanged) == (0, 1)
    assert not Event.objects.filter(verb="lead.updated").exists()


@pytest.mark.django_db
def test_status_moves_each_lead_within_its_pipeline_and_skips_a_pipeline_without_it(
    admin_user, lean
):
    sales_new = make_lead(name="Sales", status="New")
    already_won = make_lead(name="Won already", status="Won")
    talking = lean.stages.get(name="Talking")
    in_lean = [make_lead(name=f"Lean {n}", stage=talking) for n in range(2)]

    result = leads_bulk_update(
        actor=web(admin_user),
        lead_ids=ids([sales_new, already_won, *in_lean]),
        fields={"status": "Won"},
    )

    assert (result.done, result.unchanged) == (1, 1)
    assert result.skipped == {"The pipeline “Lean” has no stage with status Won.": 2}
    sales_new.refresh_from_db()
    assert (sales_new.status, sales_new.stage) == ("Won", default_stage("Won"))
    assert sales_new.furthest_stage_id == default_stage("Won").pk
    assert sales_new.stage_entered_at == sales_new.updated_at
    for lead in in_lean:
        lead.refresh_from_db()
        assert (lead.status, lead.stage) == ("New", talking)
    [event] = updated_events([sales_new, already_won, *in_lean])
    assert event.changes["status"] == ["New", "Won"]
    assert event.changes["stage"] == ["New", "Won"]
    assert_counts_match()


@pytest.mark.django_db
def test_stage_move_puts_leads_of_any_pipeline_in_that_stage(admin_user, lean):
    dropped = lean.stages.get(name="Dropped")
    leads = [make_lead(status="New"), make_lead(status="Qualified"), make_lead(stage=dropped)]
    talking = lean.stages.get(name="Talking")

    result = leads_bulk_update(
        actor=web(admin_user), lead_ids=ids(leads), fields={"stage_id": str(talking.pk)}
    )

    assert (result.done, result.unchanged, result.skipped) == (3, 0, {})
    assert set(Lead.objects.values_list("stage", "status")) == {(talking.pk, "New")}
    moved = {event.lead_id: event.changes for event in updated_events(leads)}
    assert moved[leads[1].pk]["status"] == ["Qualified", "New"]
    assert moved[leads[0].pk]["pipeline_id"] == [
        str(Pipeline.objects.get(is_default=True).pk),
        str(lean.pk),
    ]
    assert moved[leads[2].pk]["stage"] == ["Dropped", "Talking"]
    assert_counts_match()


@pytest.mark.django_db
def test_an_unknown_stage_or_field_is_refused_before_anything_changes(admin_user):
    lead = make_lead(status="New")
    with pytest.raises(ServiceError):
        leads_bulk_update(
            actor=web(admin_user), lead_ids=ids([lead]), fields={"stage_id": str(uuid.uuid4())}
        )
    with pytest.raises(ServiceError, match="cannot set name"):
        leads_bulk_update(actor=web(admin_user), lead_ids=ids([lead]), fields={"name": "X"})
    with pytest.raises(ServiceError):
        leads_bulk_update(actor=web(admin_user), lead_ids=ids([lead]), fields={"status": "Hot"})
    assert not Event.objects.filter(verb="lead.updated").exists()


@pytest.mark.django_db
def test_tags_are_added_and_removed_ignoring_case(admin_user):
    tagged = make_lead(name="Tagged", tags=["vip", "Hot"])
    plain = make_lead(name="Plain", tags=[])
    actor = web(admin_user)

    added = leads_bulk_add_tags(actor=actor, lead_ids=ids([tagged, plain]), tags=["VIP"])
    assert (added.done, added.unchanged) == (1, 1)
    plain.refresh_from_db()
    assert plain.tags == ["VIP"]
    assert Lead.objects.filter(tag_keys__contains="\nvip\n").count() == 2

    removed = leads_bulk_remove_tag(actor=actor, lead_ids=ids([tagged, plain]), tag=" Vip ")
    assert (removed.done, removed.unchanged) == (2, 0)
    tagged.refresh_from_db()
    plain.refresh_from_db()
    assert (tagged.tags, tagged.tag_keys) == (["Hot"], "\nhot\n")
    assert (plain.tags, plain.tag_keys) == ([], "")
    again = leads_bulk_remove_tag(actor=actor, lead_ids=ids([tagged, plain]), tag="vip")
    assert (again.done, again.unchanged) == (0, 2)
    changes = [event.changes["tags"] for event in updated_events([tagged, plain])]
    assert sorted(changes) == sorted([[[], ["VIP"]], [["vip", "Hot"], ["Hot"]], [["VIP"], []]])


@pytest.mark.django_db
def test_a_lead_that_would_carry_too_many_tags_is_skipped_with_the_reason(admin_user):
    full = make_lead(tags=[f"t{n}" for n in range(MAX_TAGS)])
    roomy = make_lead(tags=[])
    result = leads_bulk_add_tags(actor=web(admin_user), lead_ids=ids([full, roomy]), tags=["new"])
    assert result.done == 1
    assert result.skipped == {f"A lead has at most {MAX_TAGS} tags; this would make 51.": 1}
    full.refresh_from_db()
    assert "new" not in full.tags


@pytest.mark.django_db
def test_delete_removes_the_leads_with_their_calls_and_notes_and_records_each(admin_user, rep):
    leads = [make_lead(name=f"Gone {n}", assigned_to=rep) for n in range(3)]
    kept = make_lead(name="Kept", assigned_to=rep)
    for lead in [*leads, kept]:
        make_call(lead)
        lead_add_note(actor=web(rep), lead=lead, text="hello")

    result = leads_bulk_delete(actor=web(admin_user), lead_ids=ids(leads))

    assert (result.done, result.skipped) == (3, {})
    assert list(Lead.objects.all()) == [kept]
    assert CallLog.objects.get().lead == kept
    assert Note.objects.get().lead == kept
    deleted = Event.objects.filter(verb="lead.deleted")
    assert sorted(deleted.values_list("subject_repr", flat=True)) == ["Gone 0", "Gone 1", "Gone 2"]
    assert {event.snapshot["assigned_to"] for event in deleted} == {rep.email}
    assert_counts_match()


@pytest.mark.django_db
def test_a_rep_acts_only_on_their_own_leads(rep, other_rep):
    """Row-level security with two reps: the other rep's leads do not exist for this one."""
    mine = [make_lead(assigned_to=rep) for _ in range(2)]
    theirs = [make_lead(assigned_to=other_rep) for _ in range(3)]
    actor = web(rep)

    tagged = leads_bulk_add_tags(actor=actor, lead_ids=ids(mine + theirs), tags=["x"])
    moved = leads_bulk_update(actor=actor, lead_ids=ids(mine + theirs), fields={"status": "Won"})
    deleted = leads_bulk_delete(actor=actor, lead_ids=ids(mine + theirs))

    for result in (tagged, moved, deleted):
        assert (result.done, result.skipped) == (2, {NOT_FOUND: 3})
    assert set(Lead.objects.all()) == set(theirs)
    assert [(lead.tags, lead.status) for lead in Lead.objects.all()] == [([], "New")] * 3
    assert not Event.objects.filter(lead_id__in=[lead.pk for lead in theirs]).exists()


@pytest.mark.django_db
def test_vanished_and_invisible_leads_are_counted_as_skipped(admin_user):
    gone = make_lead()
    gone_id = gone.pk
    gone.delete()
    here = make_lead()
    result = leads_bulk_update(
        actor=web(admin_user), lead_ids=[gone_id, here.pk, uuid.uuid4()], fields={"status": "Won"}
    )
    assert (result.done, result.unchanged, result.skipped) == (1, 0, {NOT_FOUND: 2})
    assert result.skipped_count == 2


@pytest.mark.django_db
def test_more_than_5000_leads_are_refused_before_anything_is_read(admin_user, rep):
    lead = make_lead()
    too_many = [lead.pk, *(uuid.uuid4() for _ in range(MAX_LEADS))]
    for run in (
        lambda: leads_bulk_update(
            actor=web(admin_user), lead_ids=too_many, fields={"assigned_to": rep}
        ),
        lambda: leads_bulk_add_tags(actor=web(admin_user), lead_ids=too_many, tags=["x"]),
        lambda: leads_bulk_delete(actor=web(admin_user), lead_ids=too_many),
    ):
        with pytest.raises(ServiceError) as refused:
            run()
        assert refused.value.message == (
            "Bulk actions take at most 5,000 leads at a time; 5,001 were chosen. "
            "Narrow the filters."
        )
    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert not Event.objects.filter(verb__in=["lead.updated", "lead.deleted"]).exists()


@pytest.mark.django_db
def test_counts_stay_equal_to_the_leads_and_calls_after_every_bulk_action(
    admin_user, rep, other_rep, lean
):
    rng = random.Random(14)
    stages = list(Stage.objects.all())
    leads = []
    for number in range(30):
        lead = make_lead(name=f"L{number}", stage=rng.choice(stages), source=rng.choice("AB"),
                         deal_value=rng.choice([None, 100]),
                         assigned_to=rng.choice([None, rep, other_rep]))  # fmt: skip
        for _ in range(rng.randrange(3)):
            make_call(lead, outcome=rng.choice(["Completed", "Missed"]))
        leads.append(lead)
    actor = web(admin_user)
    for step in range(12):
        chosen = ids(rng.sample(leads, 12))
        kind = step % 5
        if kind == 0:
            leads_bulk_update(
                actor=actor, lead_ids=chosen, fields={"assigned_to": rng.choice([None, rep])}
            )
        elif kind == 1:
            leads_bulk_update(actor=actor, lead_ids=chosen, fields={"status": "Lost"})
        elif kind == 2:
            stage = rng.choice(stages)
            leads_bulk_update(actor=actor, lead_ids=chosen, fields={"stage_id": stage.pk})
        elif kind == 3:
            leads_bulk_add_tags(actor=actor, lead_ids=chosen, tags=[f"t{step}"])
        else:
            leads_bulk_delete(actor=actor, lead_ids=chosen[:3])
        assert_counts_match()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["assign", "status", "stage", "add_tag", "delete"])
def test_queries_do_not_grow_with_the_number_of_leads(admin_user, rep, lean, action):
    """A bulk action reads and writes its leads set-wise: as many queries for 40 leads as
    for 4 (not one per lead per step)."""
    talking = lean.stages.get(name="Talking")

    def queries_for(count: int) -> int:
        leads = [make_lead(status=["New", "Qualified"][n % 2], tags=[f"own{n}"])
                 for n in range(count)]  # fmt: skip
        for lead in leads:
            make_call(lead)
        run = {
            "assign": lambda: leads_bulk_update(
                actor=web(admin_user), lead_ids=ids(leads), fields={"assigned_to": rep}
            ),
            "status": lambda: leads_bulk_update(
                actor=web(admin_user), lead_ids=ids(leads), fields={"status": "Won"}
            ),
            "stage": lambda: leads_bulk_update(
                actor=web(admin_user), lead_ids=ids(leads), fields={"stage_id": talking.pk}
            ),
            "add_tag": lambda: leads_bulk_add_tags(
                actor=web(admin_user), lead_ids=ids(leads), tags=["vip"]
            ),
            "delete": lambda: leads_bulk_delete(actor=web(admin_user), lead_ids=ids(leads)),
        }[action]
        with CaptureQueriesContext(connection) as captured:
            result = run()
        assert result.done == count
        return len(captured)

    queries_for(2)  # what is read once per process (a stage's pipeline) is read
    few, many = queries_for(4), queries_for(40)
    assert few == many
    assert many <= 16


@pytest.mark.django_db
def test_each_lead_changed_is_one_webhook_message(settings, admin_user, rep):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    webhook_create(actor=Actor.system(admin_user), url="https://127.0.0.1:9/hook", events=["*"])
    leads = [make_lead(assigned_to=rep) for _ in range(3)]
    leads_bulk_update(actor=web(admin_user), lead_ids=ids(leads), fields={"status": "Qualified"})
    leads_bulk_delete(actor=web(admin_user), lead_ids=ids(leads[:1]))
    types = sorted(Message.objects.values_list("event_type", flat=True))
    assert types == ["lead.deleted"] + ["lead.updated"] * 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_bulk_actions_and_single_edits_neither_deadlock_nor_drift(admin_user, rep):
    """Bulk actions lock their leads in one order and write their counts in one statement: run
    side by side with each other and with single edits on the same leads, none deadlocks,
    and the counts stay exact."""
    leads = [make_lead(name=f"P{n}", source="AB"[n % 2]) for n in range(60)]
    for lead in leads[::3]:
        make_call(lead)
    stages = list(Stage.objects.filter(pipeline__is_default=True))
    barrier = threading.Barrier(5)
    errors = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        actor = web(admin_user)
        try:
            barrier.wait(10)
            for step in range(8):
                chosen = ids(rng.sample(leads, 25))
                if seed == 4:  # single edits, in random order
                    for lead in Lead.objects.filter(pk__in=chosen[:5]):
                        with contextlib.suppress(NotFound):  # deleted meanwhile: fine
                            lead_update(actor=actor, lead=lead, fields={"priority": "High"})
                elif step % 3 == 0:
                    leads_bulk_update(
                        actor=actor,
                        lead_ids=chosen,
                        fields={"assigned_to": rng.choice([None, rep])},
                    )
                elif step % 3 == 1:
                    stage = rng.choice(stages)
                    leads_bulk_update(actor=actor, lead_ids=chosen, fields={"stage_id": stage.pk})
                else:
                    leads_bulk_add_tags(actor=actor, lead_ids=chosen, tags=[f"s{seed}"])
            if seed == 0:
                leads_bulk_delete(actor=actor, lead_ids=ids(leads[:5]))
        except Exception as error:  # a deadlock would land here
            errors.append(repr(error))
        finally:
            connection.close()

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(worker, range(5)))
    assert errors == []
    assert_counts_match()


# --- The pages -------------------------------------------------------------------------------


def choose(client, *, action: str, scope: str = "selected", leads=(), query: str = "", **values):
    data = {"action": action, "scope": scope, "query": query, "lead": ids(leads), **values}
    return client.post(BULK, data)


def confirm_path(response) -> str:
    assert response.status_code == 302, response.content
    assert re.fullmatch(r"/leads/bulk/[\w-]+/", response["Location"]), response["Location"]
    return response["Location"]


def question(response) -> str:
    assert response.status_code == 200
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


@pytest.mark.django_db
def test_the_list_has_a_checkbox_per_lead_and_the_bulk_form(admin_client, rep):
    leads = [make_lead(name="Asha", assigned_to=rep), make_lead(name="Rahul")]
    page = admin_client.get(LIST).content.decode()
    for lead in leads:
        assert (
            f'<input type="checkbox" name="lead" value="{lead.pk}" form="bulk-actions">'
            f'<span class="visually-hidden">Select {lead.name}</span>'
        ) in page
        assert f'name="page_lead" value="{lead.pk}"' in page
    assert f'<form method="post" action="{BULK}" id="bulk-actions"' in page
    assert re.search(r'name="csrfmiddlewaretoken" value="\w{64}"', page)
    assert "Every lead on this page (2)" in page
    assert "Every lead matching the filters (2)" in page
    for choice in ("Assign to…", "Change status to…", "Move to stage…", "Add tag…",
                   "Remove tag…", "Delete"):  # fmt: skip
        assert f">{choice}</option>" in page
    assert f'<option value="{rep.email}">{rep.email}</option>' in page


@pytest.mark.django_db
def test_assign_through_the_pages_confirms_the_count_before_anything_changes(
    admin_client, rep, other_rep
):
    leads = [make_lead(name="Asha", assigned_to=rep), make_lead(name="Rahul", assigned_to=rep)]
    untouched = make_lead(name="Priya", assigned_to=rep)
    query = "status=New&sort=name"

    step_one = choose(admin_client, action="assign", leads=leads, assignee=other_rep.email,
                      query=query)  # fmt: skip
    path = confirm_path(step_one)
    assert set(Lead.objects.values_list("assigned_to", flat=True)) == {rep.pk}  # not yet

    page = admin_client.get(path)
    assert question(page) == f"Assign 2 leads to {other_rep.email}?"
    assert "<li>Asha</li>" in page.content.decode()
    assert ">Assign 2 leads</button>" in page.content.decode()
    assert f'<a href="{LIST}?status=New&amp;sort=name">Cancel</a>' in page.content.decode()

    done = admin_client.post(path)
    assert done.status_code == 302
    assert done["Location"] == f"{LIST}?{query}"
    assert messages_shown(admin_client.get(done["Location"])) == [
        f"Assigned 2 leads to {other_rep.email}."
    ]
    assert set(Lead.objects.filter(assigned_to=other_rep)) == set(leads)
    untouched.refresh_from_db()
    assert untouched.assigned_to == rep
    assert len(updated_events(leads)) == 2


@pytest.mark.django_db
def test_a_confirmation_runs_once(admin_client, rep):
    lead = make_lead(assigned_to=rep)
    path = confirm_path(choose(admin_client, action="add_tag", leads=[lead], tag="vip"))
    admin_client.post(path)
    assert messages_shown(admin_client.get(LIST)) == ["Added the tag “vip” to 1 lead."]
    again = admin_client.post(path)
    assert again["Location"] == LIST
    assert messages_shown(admin_client.get(LIST)) == [
        "This bulk action was done or replaced already: nothing changed."
    ]
    assert len(updated_events([lead])) == 1


@pytest.mark.django_db
def test_every_lead_matching_the_filters(admin_client):
    new = [make_lead(status="New", source="IVR") for _ in range(3)]
    make_lead(status="New", source="Web")
    path = confirm_path(
        choose(admin_client, action="status", scope="matching", query="source=IVR", status="Won")
    )
    assert question(admin_client.get(path)) == "Change the status of 3 leads to Won?"
    admin_client.post(path)
    assert set(Lead.objects.filter(status="Won")) == set(new)
    assert messages_shown(admin_client.get(LIST)) == ["Changed the status of 3 leads to Won."]


@pytest.mark.django_db
def test_every_lead_on_the_page(admin_client):
    leads = [make_lead(name=f"L{n}") for n in range(3)]
    data = {"action": "delete", "scope": "page", "page_lead": ids(leads[:2]), "query": ""}
    path = confirm_path(admin_client.post(BULK, data))
    page = admin_client.get(path)
    assert question(page) == "Delete 2 leads permanently?"
    assert "This is permanent and cannot be undone." in page.content.decode()
    admin_client.post(path)
    assert list(Lead.objects.all()) == [leads[2]]
    assert messages_shown(admin_client.get(LIST)) == ["Deleted 2 leads permanently."]


@pytest.mark.django_db
def test_a_stage_is_chosen_among_each_pipelines_stages(admin_client, lean):
    lead = make_lead(status="New")
    talking = lean.stages.get(name="Talking")
    page = admin_client.get(LIST).content.decode()
    assert '<optgroup label="Sales">' in page
    assert '<optgroup label="Lean">' in page
    assert f'<option value="{talking.pk}">Talking</option>' in page
    path = confirm_path(choose(admin_client, action="stage", leads=[lead], stage=str(talking.pk)))
    assert question(admin_client.get(path)) == "Move 1 lead to Talking (Lean)?"
    admin_client.post(path)
    lead.refresh_from_db()
    assert lead.stage == talking
    assert messages_shown(admin_client.get(LIST)) == ["Moved 1 lead to Talking (Lean)."]


@pytest.mark.django_db
def test_the_result_says_what_was_skipped_and_why(admin_client, lean):
    won_able = make_lead(name="Sales lead")
    already = make_lead(name="Won", status="Won")
    in_lean = make_lead(name="Lean lead", stage=lean.stages.get(name="Talking"))
    gone = make_lead(name="Gone")
    path = confirm_path(choose(admin_client, action="status", status="Won",
                               leads=[won_able, already, in_lean, gone]))  # fmt: skip
    assert question(admin_client.get(path)) == "Change the status of 4 leads to Won?"
    gone.delete()  # meanwhile
    admin_client.post(path)
    assert messages_shown(admin_client.get(LIST)) == [
        "Changed the status of 1 lead to Won. 1 lead already had this status. Skipped 2 leads: "
        f"The pipeline “Lean” has no stage with status Won (1); {NOT_FOUND} (1)."
    ]


@pytest.mark.django_db
def test_a_rep_may_choose_only_themselves_and_their_own_leads(rep, other_rep):
    """Row-level security with two reps, through the pages: the other rep's leads posted by
    id are skipped, and the assignee menu holds only the rep."""
    client = logged_in(rep)
    mine = make_lead(name="Mine", assigned_to=rep)
    theirs = make_lead(name="Theirs", assigned_to=other_rep)
    page = client.get(LIST).content.decode()
    assert f'<option value="{rep.email}">Me ({rep.email})</option>' in page
    assert f'<option value="{other_rep.email}"' not in page

    refused = choose(client, action="assign", leads=[mine], assignee=other_rep.email)
    assert refused["Location"] == LIST
    assert "Select a valid choice" in messages_shown(client.get(LIST))[0]

    path = confirm_path(choose(client, action="delete", leads=[mine, theirs]))
    page = client.get(path).content.decode()
    assert "<h1>Delete 1 lead permanently?</h1>" in page
    assert "Theirs" not in page
    assert "1 of the leads chosen no longer exist or are not yours: they will be skipped." in page
    client.post(path)
    assert list(Lead.objects.all()) == [theirs]
    assert messages_shown(client.get(LIST)) == [
        f"Deleted 1 lead permanently. Skipped 1 lead: {NOT_FOUND} (1)."
    ]


@pytest.mark.django_db
def test_nothing_ticked_or_no_value_is_said_and_nothing_is_kept(admin_client):
    make_lead()
    nothing = choose(admin_client, action="delete", query="status=New")
    assert nothing["Location"] == f"{LIST}?status=New"
    assert messages_shown(admin_client.get(LIST)) == [
        "Tick the leads to act on, or choose every lead on the page or matching the filters."
    ]
    lead = make_lead()
    no_tag = choose(admin_client, action="add_tag", leads=[lead], tag="  ")
    assert no_tag["Location"] == LIST
    assert messages_shown(admin_client.get(LIST)) == ["Name the tag to add."]
    assert "ui:bulk-pending" not in admin_client.session


@pytest.mark.django_db
def test_the_bulk_pages_need_a_post_with_the_csrf_token(rep):
    lead = make_lead(assigned_to=rep)
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get(BULK).status_code == 405
    assert choose(client, action="delete", leads=[lead]).status_code == 403
    trusted = logged_in(rep)
    path = confirm_path(choose(trusted, action="delete", leads=[lead]))
    client.cookies = trusted.cookies  # the same session, posting without its token
    assert client.post(path).status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.django_db
def test_up_to_5000_matching_leads_are_acted_on_and_more_are_refused_clearly(
    admin_client, admin_user, rep
):
    many_leads(MAX_LEADS + 1, source="IVR")
    refused = choose(admin_client, action="assign", scope="matching", query="source=IVR",
                     assignee=rep.email)  # fmt: skip
    assert refused["Location"] == f"{LIST}?source=IVR"
    assert messages_shown(admin_client.get(LIST)) == [
        "5,001 leads match these filters, and a bulk action takes at most 5,000 at a time. "
        "Narrow the filters, then try again."
    ]
    page = admin_client.get(LIST, {"source": "IVR"}).content.decode()
    assert "Every lead matching the filters (5,001; at most 5,000 at a time)" in page

    lead_update(actor=web(admin_user), lead=Lead.objects.get(name="Bulk 00000"),
                fields={"source": "Web"})  # fmt: skip
    path = confirm_path(choose(admin_client, action="assign", scope="matching",
                               query="source=IVR", assignee=rep.email))  # fmt: skip
    assert question(admin_client.get(path)) == f"Assign 5,000 leads to {rep.email}?"
    admin_client.post(path)
    assert messages_shown(admin_client.get(LIST)) == [f"Assigned 5,000 leads to {rep.email}."]
    assert Lead.objects.filter(assigned_to=rep).count() == MAX_LEADS
    assert Event.objects.filter(changes__has_key="assigned_to").count() == MAX_LEADS
    assert_counts_match()


@pytest.mark.django_db
def test_an_admin_unassigns_leads_through_the_pages(admin_client, rep):
    leads = [make_lead(assigned_to=rep), make_lead(assigned_to=rep)]
    path = confirm_path(choose(admin_client, action="assign", leads=leads, assignee="none"))
    assert question(admin_client.get(path)) == "Unassign 2 leads?"
    admin_client.post(path)
    assert messages_shown(admin_client.get(LIST)) == ["Unassigned 2 leads."]
    assert not Lead.objects.filter(assigned_to__isnull=False).exists()


@pytest.mark.django_db
def test_a_confirmation_whose_leads_all_vanished_says_so(admin_client):
    lead = make_lead()
    path = confirm_path(choose(admin_client, action="delete", leads=[lead], query="q=x"))
    lead.delete()
    response = admin_client.get(path)
    assert response["Location"] == f"{LIST}?q=x"
    assert messages_shown(admin_client.get(LIST)) == [
        "None of the chosen leads exists any more (or is visible to you)."
    ]
    assert admin_client.post(path)["Location"] == LIST  # nothing left to confirm


@pytest.mark.django_db
def test_a_token_that_is_not_ascii_is_a_stale_confirmation_not_a_500(admin_client, rep):
    lead = make_lead(assigned_to=rep)
    confirm_path(choose(admin_client, action="add_tag", leads=[lead], tag="vip"))
    for method in (admin_client.get, admin_client.post):
        response = method("/leads/bulk/%C3%A9t%C3%A9/")
        assert response.status_code == 302
        assert response["Location"] == LIST
    assert Lead.objects.get(pk=lead.pk).tags == []


@pytest.mark.django_db
def test_two_confirmations_at_the_same_moment_run_once(admin_client, rep):
    """A double click: both POSTs read the session before either saves it (here, the pending
    action put back after the first)."""
    lead = make_lead(assigned_to=rep)
    path = confirm_path(choose(admin_client, action="add_tag", leads=[lead], tag="vip"))
    pending = admin_client.session["ui:bulk-pending"]
    admin_client.post(path)
    session = admin_client.session
    session["ui:bulk-pending"] = pending
    session.save()
    admin_client.post(path)
    assert messages_shown(admin_client.get(LIST)) == [
        "Added the tag “vip” to 1 lead.",
        "This bulk action was done or replaced already: nothing changed.",
    ]
    assert len(updated_events([lead])) == 1


@pytest.mark.django_db
def test_a_tag_the_rules_refuse_is_refused_before_the_confirmation(admin_client, rep):
    lead = make_lead(assigned_to=rep)
    response = choose(admin_client, action="add_tag", leads=[lead], tag="two\tparts")
    assert response.status_code == 302
    assert response["Location"].startswith(LIST)  # back to the list, not to a confirmation
    assert "ui:bulk-pending" not in admin_client.session
    assert Lead.objects.get(pk=lead.pk).tags == []


@pytest.mark.django_db
def test_a_confirmation_goes_ahead_when_the_cache_is_down(admin_client, rep):
    lead = make_lead(assigned_to=rep)
    path = confirm_path(choose(admin_client, action="add_tag", leads=[lead], tag="vip"))
    with override_settings(CACHES=REDIS_DOWN):
        response = admin_client.post(path)
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).tags == ["vip"]
