"""Lead business rules: create, create-or-merge (dedup on phone and email), edits, notes,
deletion. The API, the pages, the Django admin and the commands all call these, so they cannot
disagree; each change is recorded as one event in its own transaction."""

import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, Forbidden, NotFound, ServiceError
from core.locking import joined_rows_current, lock_rows
from events.models import Event, Verb
from events.services import Actor, diff, record_event, record_events
from pipelines.models import Stage
from pipelines.selectors import Placement
from routing.notify import together as announce_together
from routing.services import Routing, route_new_leads, routed_leads_record

from . import tally
from .models import Lead, Note
from .representation import lead_to_api
from .rules import (
    LEAD_NOT_VISIBLE,
    NOTES_MAX_LENGTH,
    PLACEMENT_FIELDS,
    TRACKED_FIELDS,
    LeadStatus,
    can_see,
    check_contact,
    clean_lead_fields,
    merge_tags,
    normalize_email,
    normalize_phone,
    replacement_defaults,
)
from .selectors import lock_matching_ids

logger = logging.getLogger(__name__)

_UPSERT_ATTEMPTS = 3
HIDDEN_DUPLICATE = "A lead with this phone or email already exists and is not assigned to you."


class MergePolicy(StrEnum):
    """What a create that matches an existing lead (same phone or email) does to it."""

    UPDATE = "update"  # fields sent overwrite, tags are added (the v1 contract)
    FILL_EMPTY = "fill_empty"  # only empty fields are filled, tags are added, notes become a note
    KEEP = "keep"  # nothing changes


@dataclass(frozen=True)
class UpsertResult:
    lead: Lead
    created: bool


@dataclass(frozen=True)
class LeadChange:
    """A lead after an edit, and what changed: {field: [previous, new]} (empty: nothing did)."""

    lead: Lead
    changes: dict[str, list]


class DuplicateLead(Conflict):
    """A new lead's phone or email belongs to an existing lead. `lead` is that lead when the
    actor may see it, else None (a duplicate they cannot see says nothing about it)."""

    def __init__(self, lead: Lead | None, field: str):
        self.lead = lead
        if lead is None:  # not even which of phone and email matched
            super().__init__(HIDDEN_DUPLICATE)
        else:
            super().__init__(f"The lead “{lead.name}” already has this {field}.", field)


def lead_upsert(
    *, actor: Actor, fields: dict[str, Any], merge: MergePolicy = MergePolicy.UPDATE
) -> UpsertResult:
    """Create a lead, or merge `fields` into the existing lead with the same phone or email.

    `fields` holds only what the caller sent, so omitted fields keep their values on a merge
    and model defaults apply only to a new lead. Merge rules (MergePolicy.UPDATE):
    - fields present overwrite; tags are unioned;
    - when the phone matches one lead and the email another, the phone match wins and the email
      stays with the lead that has it (the merged lead keeps its own email);
    - a match the actor cannot see is a 409 that says nothing about that lead.
    FILL_EMPTY sets only the fields the lead has empty (None, "" or []), still adds tags, and
    adds `notes` to the timeline as a note; source, status and priority always hold a value, so
    they never change (the first touch wins). KEEP changes nothing.
    Simultaneous identical requests are settled by the unique constraints on the dedup keys:
    the loser's insert fails, and it retries as a merge.
    """
    return _create_or(actor, fields, merge=merge)


def lead_create(*, actor: Actor, fields: dict[str, Any]) -> Lead:
    """Create a lead; a phone or email another lead holds is a DuplicateLead (nothing changes).
    For people typing a new lead, who must see the existing one before choosing to merge."""
    return _create_or(actor, fields, merge=None).lead


def _create_or(actor: Actor, fields: dict[str, Any], *, merge: MergePolicy | None) -> UpsertResult:
    fields = clean_lead_fields(fields)
    check_contact(fields.get("phone"), fields.get("email"))
    check_assignment(actor, fields)
    phone_key = normalize_phone(fields["phone"]) if fields.get("phone") else None
    email_key = normalize_email(fields["email"]) if fields.get("email") else None

    placement = Placement()
    for attempt in range(_UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                by_phone, by_email = _matches(phone_key, email_key)
                target = by_phone or by_email
                if target is None:
                    lead = _create(actor, _place_and_hold(placement, None, fields))
                    return UpsertResult(lead, created=True)
                visible = can_see(actor.user, target)
                if merge is None or not visible:
                    field = "phone" if by_phone else "email"
                    raise DuplicateLead(target if visible else None, field)
                if by_email is not None and by_email.pk != target.pk:
                    fields = {k: v for k, v in fields.items() if k != "email"}
                if merge == MergePolicy.FILL_EMPTY:
                    _fill_empty(actor, target, fields)
                elif merge == MergePolicy.UPDATE:
                    _merge(actor, target, _place_and_hold(placement, target, fields))
                return UpsertResult(target, created=False)
        except IntegrityError:
            # Another request inserted or claimed this phone/email between our read and write.
            # Its transaction has committed, so the next attempt finds it (and merges). Losing
            # every attempt takes other requests creating and deleting this very lead at once:
            # the caller is told to send it again, as for a request still running.
            if attempt == _UPSERT_ATTEMPTS - 1:
                field = "phone" if phone_key else "email"
                raise Conflict(
                    f"Another request changed the lead with this {field} at the same moment; "
                    "send this one again.",
                    field,
                ) from None
            logger.info("a lead create lost a race on phone/email; retrying")
    raise AssertionError("unreachable")


def lead_upsert_many(
    *, actor: Actor, items: dict[int, dict[str, Any]], merge: MergePolicy = MergePolicy.UPDATE
) -> dict[int, UpsertResult | ServiceError]:
    """lead_upsert for each item, in order (see _upsert_many); their count changes are written
    together when the whole runs in one transaction (leads.tally.batch), and a rep is emailed
    once about the leads routed to them (routing)."""
    with tally.batch(), announce_together():
        return _upsert_many(actor, items, merge)


def _upsert_many(
    actor: Actor, items: dict[int, dict[str, Any]], merge: MergePolicy
) -> dict[int, UpsertResult | ServiceError]:
    """lead_upsert for each item, in order, each on its own: a refused item is answered with
    its error and does not undo the others, and a later item matching an earlier one merges
    into it. The items that match nothing (no lead, no other item) are new leads whatever the
    order; they are written together, in one transaction of a few statements, which is what
    makes a bulk import fast. Should the database refuse that write (a lead with one of those
    phones or emails was created meanwhile), each of them goes on its own like the rest."""
    results: dict[int, UpsertResult | ServiceError] = {}
    prepared: dict[int, dict[str, Any]] = {}
    for index, fields in items.items():
        try:
            cleaned = clean_lead_fields(fields)
            check_contact(cleaned.get("phone"), cleaned.get("email"))
            check_assignment(actor, cleaned)
        except ServiceError as exc:
            results[index] = exc
        else:
            prepared[index] = cleaned
    if transaction.get_connection().in_atomic_block:
        _lock_in_one_order(prepared)
    fresh = _unmatched(prepared)
    # Where each new lead goes, worked out before the shared write so that a refused place
    # (an unknown stage…) refuses that lead alone. (The others are placed as merges are.)
    placement = Placement()
    placement.load(fields["stage_id"] for fields in prepared.values() if "stage_id" in fields)
    placed = {}
    for index in fresh:
        try:
            placed[index] = placed_fields(placement, None, prepared[index])
        except ServiceError as exc:
            results[index] = exc
            del prepared[index]
    fresh = [index for index in fresh if index in placed]
    if fresh:
        try:
            with transaction.atomic():
                placement.hold({placed[index]["stage"] for index in fresh})
                leads = _create_many(actor, [placed[index] for index in fresh])
        except (IntegrityError, ServiceError):
            fresh = []
        else:
            for index, lead in zip(fresh, leads, strict=True):
                results[index] = UpsertResult(lead, created=True)
    for index in sorted(set(prepared) - set(fresh)):
        try:
            results[index] = _create_or(actor, items[index], merge=merge)
        except ServiceError as exc:
            results[index] = exc
    return results


def _lock_in_one_order(prepared: dict[int, dict[str, Any]]) -> None:
    """When the whole bulk is one transaction (under an Idempotency-Key), the leads it will
    merge into stay locked until it ends: lock them all first, by id, so that two such bulks
    touching the same leads wait for each other instead of deadlocking."""
    phones = {normalize_phone(f["phone"]) for f in prepared.values() if f.get("phone")}
    emails = {normalize_email(f["email"]) for f in prepared.values() if f.get("email")}
    matches = Lead.objects.filter(Q(phone_e164__in=phones) | Q(email_key__in=emails))
    list(matches.order_by("pk").select_for_update().values_list("pk", flat=True))


def _unmatched(prepared: dict[int, dict[str, Any]]) -> list[int]:
    """The items whose phone and email no lead has and no other item shares."""
    keys = {
        index: (
            normalize_phone(fields["phone"]) if fields.get("phone") else None,
            normalize_email(fields["email"]) if fields.get("email") else None,
        )
        for index, fields in prepared.items()
    }
    phones = Counter(phone for phone, _ in keys.values() if phone)
    emails = Counter(email for _, email in keys.values() if email)
    taken = Lead.objects.filter(Q(phone_e164__in=phones) | Q(email_key__in=emails))
    taken_phones, taken_emails = set(), set()
    for phone, email in taken.values_list("phone_e164", "email_key"):
        taken_phones.add(phone)
        taken_emails.add(email)
    return [
        index
        for index, (phone, email) in keys.items()
        if (not phone or (phones[phone] == 1 and phone not in taken_phones))
        and (not email or (emails[email] == 1 and email not in taken_emails))
    ]


def _create_many(actor: Actor, fields_list: list[dict[str, Any]]) -> list[Lead]:
    """_create for leads that match nothing, in three statements: leads, events (and the
    savepoint)."""
    leads = []
    for fields in fields_list:
        values = dict(fields)
        if not actor.is_admin:
            values["assigned_to"] = actor.user
        lead = Lead(**values)
        lead.derive()
        leads.append(lead)
    routed = _route(leads)
    Lead.objects.bulk_create(leads)
    tally.leads_added(lead.tally_key() for lead in leads)  # (bulk_create skips save)
    snapshots = [lead_to_api(lead) for lead in leads]
    record_events(
        actor=actor,
        verb=Verb.LEAD_CREATED,
        subjects=leads,
        changes=[
            _created_changes(snapshot, routed.get(lead.pk))
            for lead, snapshot in zip(leads, snapshots, strict=True)
        ],
        lead_ids=[lead.pk for lead in leads],
        snapshots=snapshots,
    )
    _announce(routed, leads, snapshots)
    return leads


def check_assignment(actor: Actor, fields: dict[str, Any]) -> None:
    """A sales rep's leads are theirs: they cannot assign to anyone else, and "nobody" (null)
    means themselves, or the lead would vanish from their view."""
    if actor.is_admin or "assigned_to" not in fields:
        return
    assignee = fields["assigned_to"]
    if assignee is not None and assignee.pk != actor.user.pk:
        raise Forbidden("Sales reps can assign leads only to themselves.", "assigned_to")
    fields["assigned_to"] = actor.user


def _matches(phone_key: str | None, email_key: str | None) -> tuple[Lead | None, Lead | None]:
    by_phone = by_email = None
    held = lock_matching_ids(phone_key=phone_key, email_key=email_key)
    if not held:
        return None, None
    # Read once held (core.locking.lock_rows says why apart), the assignee and stage with them:
    # the response shows them.
    for lead in Lead.objects.select_related("assigned_to", "stage").filter(pk__in=held):
        if phone_key and lead.phone_e164 == phone_key:
            by_phone = lead
        if email_key and lead.email_key == email_key:
            by_email = lead
    return by_phone, by_email


def _create(actor: Actor, fields: dict[str, Any]) -> Lead:
    values = dict(fields)
    if not actor.is_admin:
        values["assigned_to"] = actor.user
    lead = Lead(**values)
    routed = _route([lead])
    lead.save(force_insert=True)
    snapshot = lead_to_api(lead)
    changes = _created_changes(snapshot, routed.get(lead.pk))
    _record(actor, Verb.LEAD_CREATED, lead, changes, snapshot)
    _announce(routed, [lead], [snapshot])
    return lead


def _route(leads: list[Lead]) -> dict[Any, Routing]:
    """New leads that arrive unassigned go to a rep by the assignment rules (routing): in the
    create's transaction, before the insert. {lead id: how it was routed}."""
    unassigned = [lead for lead in leads if lead.assigned_to_id is None]
    routings = route_new_leads(sources=[lead.source for lead in unassigned])
    routed = {}
    for lead, routing in zip(unassigned, routings, strict=True):
        if routing is not None:
            lead.assigned_to = routing.user
            routed[lead.pk] = routing
    return routed


def _created_changes(snapshot: dict, routing: Routing | None) -> dict[str, list]:
    """A new lead's event: every tracked field from nothing, and the rule that assigned it."""
    changes = diff({}, {name: snapshot[name] for name in TRACKED_FIELDS})
    if routing is not None:
        changes["assigned_by_rule"] = [None, routing.rule_name]
    return changes


def _announce(routed: dict[Any, Routing], leads: list[Lead], snapshots: list[dict]) -> None:
    """Routed leads, once saved: logged for the rep's Today page, and emailed after commit."""
    pairs = zip(leads, snapshots, strict=True)
    routed_leads_record(routed=[(routed[lead.pk], s) for lead, s in pairs if lead.pk in routed])


def _merge(actor: Actor, lead: Lead, fields: dict[str, Any]) -> None:
    before = lead_to_api(lead)
    if "tags" in fields:
        fields = {**fields, "tags": merge_tags(lead.tags, fields["tags"])}
    for name, value in fields.items():
        setattr(lead, name, value)
    changes = edit_changes(before, lead_to_api(lead))
    if changes:
        check_contact(lead.phone, lead.email)
        lead.save()
    # A merge is recorded even when it changed nothing: someone sent this lead again.
    _record(actor, Verb.LEAD_MERGED, lead, changes, lead_to_api(lead))


# Fields that always hold a value: a fill_empty merge never changes them (nor the stage).
ALWAYS_SET = ("name", "source", "status", "priority", *PLACEMENT_FIELDS)


def _fill_empty(actor: Actor, lead: Lead, fields: dict[str, Any]) -> None:
    """Merge only into what the lead lacks; the notes sent go on the timeline as a note."""
    notes = fields.get("notes")
    filled = {
        name: value
        for name, value in fields.items()
        if name not in (*ALWAYS_SET, "notes") and getattr(lead, name) in (None, "", [])
    }
    if fields.get("tags"):
        filled["tags"] = fields["tags"]  # added to the lead's, as every merge does
    _merge(actor, lead, filled)
    if notes:
        _add_note(actor, lead, notes)


def edit_changes(before: dict, after: dict) -> dict[str, list]:
    changes = diff(
        {name: before[name] for name in TRACKED_FIELDS},
        {name: after[name] for name in TRACKED_FIELDS},
    )
    if "stage_id" in changes and "status" not in changes:
        # A move always says the status it left, even between two stages with the same one
        # (webhooks' previous_attributes.status).
        changes["status"] = [before["status"], after["status"]]
    return changes


def placed_fields(
    placement: Placement,
    lead: Lead | None,
    fields: dict[str, Any],
    reached: "Reached | None" = None,
) -> dict[str, Any]:
    """`fields` with the placement fields resolved: `stage` and `status` set to where the
    lead goes (a new lead: always), and when it arrives there. The status is the stage's.
    `reached`: furthest_reached_before of leads moving to another pipeline (a bulk move reads
    it once for all of them)."""
    fields = dict(fields)
    pipeline_id = fields.pop("pipeline_id", None)
    stage_id = fields.pop("stage_id", None)
    current = lead.stage if lead is not None else None
    stage = placement.stage_for(
        current=current, pipeline_id=pipeline_id, stage_id=stage_id, status=fields.get("status")
    )
    fields["status"] = stage.status
    if current is None or stage.pk != current.pk:
        fields["stage"] = stage
        fields["stage_entered_at"] = timezone.now()
        furthest = lead.furthest_stage_id if lead is not None else None
        if current is not None and current.pipeline_id != stage.pipeline_id:
            # Back in a pipeline it was in before: what it reached there still counts.
            if reached is None or not reached.covers(lead.pk, stage.pipeline_id):
                reached = furthest_reached_before([lead.pk], stage.pipeline_id)
            furthest = reached.stages[lead.pk]
        fields["furthest_stage_id"] = _furthest(placement, stage, furthest)
    return fields


@dataclass(frozen=True)
class Reached:
    """The furthest stage of one pipeline (Lost stages aside) that each of some leads was
    ever in, or None: {lead id: stage id or None}."""

    pipeline_id: uuid.UUID
    stages: dict[uuid.UUID, uuid.UUID | None]

    def covers(self, lead_id: uuid.UUID, pipeline_id: uuid.UUID) -> bool:
        return pipeline_id == self.pipeline_id and lead_id in self.stages


def furthest_reached_before(lead_ids: Iterable[uuid.UUID], pipeline_id: uuid.UUID) -> Reached:
    """What the leads reached in this pipeline, from their history: every move is an event
    whose changes hold the stage left and the one entered (a creation: [None, its stage]).
    Two queries however many leads; read only for leads changing pipelines, as a lead keeps
    one furthest stage, its pipeline's. (Leads that came back before this rule keep theirs.)"""
    visited: dict[uuid.UUID, set] = {uuid.UUID(str(lead_id)): set() for lead_id in lead_ids}
    moves = (
        Event.objects.filter(
            lead_id__in=list(visited), subject_type="lead", changes__has_key="stage_id"
        )
        .order_by()
        .values_list("lead_id", "changes__stage_id")
    )
    for lead_id, moved in moves:
        for stage_id in moved if isinstance(moved, list) else []:
            with contextlib.suppress(TypeError, ValueError, AttributeError):
                visited[lead_id].add(uuid.UUID(stage_id))
    steps = dict(
        Stage.objects.filter(pk__in=set().union(*visited.values()), pipeline_id=pipeline_id)
        .exclude(status=LeadStatus.LOST)
        .values_list("pk", "position")
    )
    furthest = {
        lead_id: max(
            (stage for stage in stages if stage in steps),
            key=lambda stage: (steps[stage], str(stage)),
            default=None,
        )
        for lead_id, stages in visited.items()
    }
    return Reached(uuid.UUID(str(pipeline_id)), furthest)


def _furthest(placement: Placement, stage, furthest_id):
    """The furthest stage reached once the lead is in `stage`: `stage` itself unless the one
    reached before is further along the same pipeline; a Lost stage is no step forward."""
    positions = {s.pk: s.position for s in placement.stages_of(stage.pipeline_id)}
    if furthest_id is not None and furthest_id not in positions:  # archived since, or elsewhere
        positions.update(
            Stage.objects.filter(pk=furthest_id, pipeline_id=stage.pipeline_id).values_list(
                "pk", "position"
            )
        )
    if furthest_id in positions and (
        stage.status == LeadStatus.LOST or positions[furthest_id] >= stage.position
    ):
        return furthest_id
    return None if stage.status == LeadStatus.LOST else stage.pk


def _place_and_hold(placement: Placement, lead: Lead | None, fields: dict[str, Any]) -> dict:
    """placed, inside the write's transaction: a stage the lead moves into is held until the
    write commits, so that it cannot be archived or change its status in between."""
    fields = placed_fields(placement, lead, fields)
    if "stage" in fields:
        placement.hold({fields["stage"]})
    return fields


def _record(actor: Actor, verb: Verb, lead: Lead, changes: dict, snapshot: dict | None) -> None:
    record_event(
        actor=actor, verb=verb, subject=lead, changes=changes, lead_id=lead.pk, snapshot=snapshot
    )


def locked_visible_lead(actor: Actor, lead_id, *, with_assignee: bool = False) -> Lead:
    """The lead `lead_id` if the actor may see it, locked for this transaction (what a call or
    a task is added to), with its assignee read along when asked; else NotFound naming
    `lead_id`. One locking read: only the lead's own row is locked, and an assignee that
    changed while this waited for the lock is read again when used (core.locking)."""
    leads = Lead.objects.visible_to(actor.user).select_for_update(of=("self",))
    if with_assignee:
        leads = leads.select_related("assigned_to")
    try:
        return joined_rows_current(leads.get(pk=lead_id))
    except Lead.DoesNotExist:
        raise NotFound(LEAD_NOT_VISIBLE, "lead_id") from None


def _locked(actor: Actor, lead_id) -> Lead:
    """The lead, locked for this transaction, if it still exists and the actor may see it."""
    leads = Lead.objects.visible_to(actor.user).select_related("assigned_to", "stage")
    locked = lock_rows(leads.filter(pk=lead_id))
    if not locked:
        raise NotFound("This lead does not exist (any more).", "lead_id")
    return locked[0]


def lead_update(*, actor: Actor, lead: Lead, fields: dict[str, Any]) -> LeadChange:
    """Edit a lead the actor can see: the fields given are set (tags given replace the lead's).
    A phone or email that belongs to another lead is a Conflict naming it. An edit that changes
    nothing records nothing."""
    return _update(actor, lead, fields, restart=False)


def lead_replace(*, actor: Actor, lead: Lead, fields: dict[str, Any]) -> LeadChange:
    """A full replacement (PUT): the fields given are set and the others go back to a new
    lead's defaults. Unless `fields` place the lead (a status or a stage), it goes back to the
    first New stage of its pipeline (of `pipeline_id`, when given), or that pipeline's first
    stage when it has none."""
    restart = not {"status", "stage_id"} & fields.keys()
    return _update(actor, lead, {**replacement_defaults(), **fields}, restart=restart)


def _update(actor: Actor, lead: Lead, fields: dict[str, Any], *, restart: bool) -> LeadChange:
    fields = clean_lead_fields(fields)
    check_assignment(actor, fields)
    try:
        with transaction.atomic():
            lead = _locked(actor, lead.pk)
            before = lead_to_api(lead)
            placement = Placement()
            if restart:  # a new lead's place, in the lead's pipeline or the one given
                pipeline_id = fields.pop("pipeline_id", lead.stage.pipeline_id)
                fields["stage_id"] = placement.stage_for(current=None, pipeline_id=pipeline_id).pk
            fields = _place_and_hold(placement, lead, fields)
            for name, value in fields.items():
                setattr(lead, name, value)
            changes = edit_changes(before, lead_to_api(lead))
            if changes:
                check_contact(lead.phone, lead.email)
                lead.save()
                _record(actor, Verb.LEAD_UPDATED, lead, changes, lead_to_api(lead))
            return LeadChange(lead, changes)
    except IntegrityError:
        field = _taken_key(lead)
        raise Conflict(f"Another lead already has this {field}.", field) from None


def lead_move(*, actor: Actor, lead: Lead, stage_id, pipeline_id=None) -> LeadChange:
    """Move a lead to a stage (of `pipeline_id`, when given): its status becomes the stage's.
    A move to the stage it is in changes and records nothing."""
    fields = {"stage_id": stage_id}
    if pipeline_id is not None:
        fields["pipeline_id"] = pipeline_id
    return lead_update(actor=actor, lead=lead, fields=fields)


def lead_merge(*, actor: Actor, lead: Lead, fields: dict[str, Any]) -> Lead:
    """Merge `fields` into a lead a person chose (the new-lead form, on a duplicate), as a
    duplicate sent to lead_upsert would merge: fields given overwrite, tags are added."""
    fields = clean_lead_fields(fields)
    check_assignment(actor, fields)
    try:
        with transaction.atomic():
            lead = _locked(actor, lead.pk)
            _merge(actor, lead, _place_and_hold(Placement(), lead, fields))
            return lead
    except IntegrityError:
        field = _taken_key(lead)
        raise Conflict(f"Another lead already has this {field}.", field) from None


def _taken_key(lead: Lead) -> str:
    """Which of the lead's dedup keys another lead holds: the field to blame for a conflict."""
    phone = normalize_phone(lead.phone) if lead.phone else None
    others = Lead.objects.exclude(pk=lead.pk)
    return "phone" if phone and others.filter(phone_e164=phone).exists() else "email"


def lead_add_note(*, actor: Actor, lead: Lead, text: str) -> Note:
    with transaction.atomic():
        return _add_note(actor, _locked(actor, lead.pk), text)


def _add_note(actor: Actor, lead: Lead, text: str) -> Note:
    text = text.strip()
    if not text or "\x00" in text:
        raise ServiceError("Write a note (without NUL characters).", "text")
    if len(text) > NOTES_MAX_LENGTH:
        raise ServiceError(f"A note holds at most {NOTES_MAX_LENGTH:,} characters.", "text")
    note = Note.objects.create(lead=lead, text=text, author=actor.user)
    record_event(
        actor=actor,
        verb=Verb.LEAD_NOTE_ADDED,
        subject=note,
        lead_id=lead.pk,
        changes={"text": [None, text[:500]]},
    )
    return note


def lead_add_tags(*, actor: Actor, lead: Lead, tags: list[str]) -> LeadChange:
    """Add tags to a lead (a tag equal to one it has, ignoring case, is not added twice)."""
    new = clean_lead_fields({"tags": tags})["tags"]
    with transaction.atomic():
        lead = _locked(actor, lead.pk)
        return _set_tags(actor, lead, merge_tags(lead.tags, new))


def lead_remove_tag(*, actor: Actor, lead: Lead, tag: str) -> LeadChange:
    """Remove the lead's tag equal to `tag` ignoring case; a tag it lacks is a NotFound."""
    with transaction.atomic():
        lead = _locked(actor, lead.pk)
        kept = [existing for existing in lead.tags if existing.casefold() != tag.casefold()]
        if len(kept) == len(lead.tags):
            raise NotFound(f"This lead has no tag “{tag}”.", "tag")
        return _set_tags(actor, lead, kept)


def _set_tags(actor: Actor, lead: Lead, tags: list[str]) -> LeadChange:
    before = lead_to_api(lead)
    lead.tags = tags
    changes = edit_changes(before, lead_to_api(lead))
    if changes:
        lead.save()
        _record(actor, Verb.LEAD_UPDATED, lead, changes, lead_to_api(lead))
    return LeadChange(lead, changes)


def lead_delete(*, actor: Actor, lead: Lead) -> None:
    """Delete the lead with its call logs and notes, in one transaction; its last
    representation stays in the event stream. A lead deleted meanwhile is a NotFound."""
    with transaction.atomic():
        lead = _locked(actor, lead.pk)
        _record(actor, Verb.LEAD_DELETED, lead, {}, lead_to_api(lead))
        lead.delete()
