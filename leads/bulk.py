"""Acting on many leads at once (the leads list's bulk actions): assign, change status or stage,
add or remove a tag, delete. The rules are the single edits' (leads.services): the fields are
cleaned by leads.rules, a sales rep assigns only to themselves, a lead is placed by Placement,
a lead the actor cannot see does not exist, and each lead changed is one event. Only the
writing is set-wise, so that 5,000 leads take seconds rather than 5,000 transactions: the
leads are locked in one query, their new values written in one UPDATE (`_write`), their events
in one statement, and their counts (leads.tally, and calls.tally through `regrouped`) in one
statement each (tally.batch).

Each lead stands on its own: one that vanished or that the actor cannot see, or one a rule
refuses (its pipeline has no stage with that status; it would carry too many tags), is skipped
with the reason, and the others go ahead. A lead already as asked is left alone (no event), as
a single edit that changes nothing records nothing."""

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from core.errors import ServiceError
from core.locking import lock_rows
from events.models import Verb
from events.services import Actor, record_events
from pipelines.selectors import Placement

from . import tally
from .models import Lead
from .representation import lead_to_api
from .rules import clean_lead_fields, merge_tags
from .services import (
    Reached,
    check_assignment,
    edit_changes,
    furthest_reached_before,
    placed_fields,
)

MAX_LEADS = 5000
# What a bulk edit may set (the rest of a lead's fields are its own: a phone or a name is
# never the same for many leads).
BULK_FIELDS = ("assigned_to", "status", "stage_id", "pipeline_id")
NOT_FOUND = "not found: deleted meanwhile, or not visible to you"


@dataclass(frozen=True)
class BulkResult:
    """How many leads were changed, were already as asked, and were skipped (by reason)."""

    done: int
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())


def leads_bulk_update(
    *, actor: Actor, lead_ids: Iterable[Any], fields: dict[str, Any]
) -> BulkResult:
    """Set `fields` (assigned_to, status, stage_id, pipeline_id) on each lead, as lead_update
    sets them on one: a status moves a lead to the first stage of its pipeline with that
    status, a stage moves it there (its status becomes the stage's)."""
    unknown = sorted(set(fields) - set(BULK_FIELDS))
    if unknown:
        raise ServiceError(f"A bulk edit cannot set {', '.join(unknown)}.", unknown[0])
    if not fields:
        raise ServiceError("Say what to change.")
    fields = clean_lead_fields(fields)
    check_assignment(actor, fields)
    ids = _ids(lead_ids)
    placement = Placement()
    target = fields.get("pipeline_id")  # the pipeline the leads go to, if they move
    if "stage_id" in fields:  # a stage that is not there is the request's error, not each lead's
        target = placement.stage_for(
            current=None,
            stage_id=fields["stage_id"],
            pipeline_id=fields.get("pipeline_id"),
            status=fields.get("status"),
        ).pipeline_id
    # Where a lead goes depends only on its stage and the furthest stage it reached: worked
    # out once per such pair (a handful), not once per lead, unless it moves (below).
    places: dict[tuple, dict[str, Any] | ServiceError] = {}

    # A move may take leads to another pipeline, where what each reached depends on its own
    # history (leads.services.placed_fields): read once for all of them, once they are locked,
    # and part of the key.
    reached = Reached(target, {}) if target is not None else None

    def prepare(leads: list[Lead]) -> None:
        if reached is not None:
            crossing = [lead.pk for lead in leads if lead.stage.pipeline_id != target]
            if crossing:
                reached.stages.update(furthest_reached_before(crossing, target).stages)

    def edit(lead: Lead) -> dict[str, Any]:
        key = (lead.stage_id, lead.furthest_stage_id, reached and reached.stages.get(lead.pk))
        if key not in places:
            try:
                places[key] = placed_fields(placement, lead, fields, reached)
            except ServiceError as error:
                places[key] = error
        placed = places[key]
        if isinstance(placed, ServiceError):
            raise placed
        return placed

    return _apply(actor, ids, edit, placement, prepare)


def leads_bulk_add_tags(*, actor: Actor, lead_ids: Iterable[Any], tags: list[str]) -> BulkResult:
    """Add tags to each lead (lead_add_tags' rule: one equal to a tag it has, ignoring case,
    is not added twice; a lead that would carry more than 50 is skipped)."""
    new = clean_lead_fields({"tags": tags})["tags"]
    if not new:
        raise ServiceError("Name the tag to add.", "tags")
    return _apply(actor, _ids(lead_ids), lambda lead: {"tags": merge_tags(lead.tags, new)})


def leads_bulk_remove_tag(*, actor: Actor, lead_ids: Iterable[Any], tag: str) -> BulkResult:
    """Remove the tag equal to `tag` ignoring case from each lead (a lead without it is left
    as it is)."""
    wanted = tag.strip().casefold()
    if not wanted:
        raise ServiceError("Name the tag to remove.", "tag")
    return _apply(
        actor,
        _ids(lead_ids),
        lambda lead: {"tags": [kept for kept in lead.tags if kept.casefold() != wanted]},
    )


def leads_bulk_delete(*, actor: Actor, lead_ids: Iterable[Any]) -> BulkResult:
    """Delete each lead the actor may see (lead_delete's right: an admin any lead, a sales rep
    their own) with its call logs and notes; its last representation stays in the event
    stream, one `lead.deleted` event per lead."""
    ids = _ids(lead_ids)
    with transaction.atomic(), tally.batch():
        leads = _locked(actor, ids)
        if leads:
            record_events(
                actor=actor,
                verb=Verb.LEAD_DELETED,
                subjects=leads,
                changes=[{} for _ in leads],
                lead_ids=[lead.pk for lead in leads],
                snapshots=[lead_to_api(lead) for lead in leads],
            )
            moves = [(lead.pk, lead._counted_key(), None) for lead in leads]
            # Their calls are counted out while they still exist (Lead.delete's order).
            tally.regrouped.send(sender=Lead, moves=moves)
            tally.leads_moved((before, None) for _, before, _ in moves)
            Lead.objects.filter(pk__in=[lead.pk for lead in leads]).delete()
    return BulkResult(done=len(leads), skipped=_not_found(len(ids) - len(leads)))


# --- The shared part -----------------------------------------------------------------------


def _ids(lead_ids: Iterable[Any]) -> list[uuid.UUID]:
    try:
        ids = {
            value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in lead_ids
        }
    except ValueError:
        raise ServiceError("A lead id is a UUID.", "lead_ids") from None
    if not ids:
        raise ServiceError("Choose at least one lead.", "lead_ids")
    if len(ids) > MAX_LEADS:
        raise ServiceError(
            f"Bulk actions take at most {MAX_LEADS:,} leads at a time; {len(ids):,} were "
            "chosen. Narrow the filters.",
            "lead_ids",
        )
    return sorted(ids)


def _locked(actor: Actor, ids: list[uuid.UUID]) -> list[Lead]:
    """The leads of `ids` the actor may see, locked for this transaction in one query, in id
    order (so two bulk edits of the same leads wait for each other instead of deadlocking)."""
    leads = Lead.objects.visible_to(actor.user).select_related("assigned_to", "stage")
    return lock_rows(leads.filter(pk__in=ids))


def _not_found(count: int) -> dict[str, int]:
    return {NOT_FOUND: count} if count else {}


def _apply(
    actor: Actor,
    ids: list[uuid.UUID],
    edit: Callable[[Lead], dict[str, Any]],
    placement: Placement | None = None,
    prepare: Callable[[list[Lead]], None] | None = None,
) -> BulkResult:
    """Lock the leads, set on each what `edit` returns for it (a ServiceError skips that
    lead; `prepare` first reads, for them all, what the edits need), and write those that
    changed: their columns, counts and events."""
    skipped: Counter[str] = Counter()
    unchanged = 0
    changed: list[_Changed] = []
    with transaction.atomic(), tally.batch():
        leads = _locked(actor, ids)
        skipped.update(_not_found(len(ids) - len(leads)))
        if prepare is not None:
            prepare(leads)
        now = timezone.now()
        for lead in leads:
            try:
                fields = edit(lead)
            except ServiceError as error:
                skipped[error.message] += 1
                continue
            before = lead_to_api(lead)
            counted = lead._counted_key()
            old = {column: getattr(lead, column) for column in _COLUMNS}
            for name, value in fields.items():
                setattr(lead, name, value)
            if "stage_entered_at" in fields:
                lead.stage_entered_at = now  # one moment for the whole edit
            lead.updated_at = now  # (saved only if something changed)
            after = lead_to_api(lead)
            changes = edit_changes(before, after)
            if not changes:
                unchanged += 1
                continue
            lead.derive()
            columns = tuple(column for column in _COLUMNS if getattr(lead, column) != old[column])
            changed.append(_Changed(lead, changes, counted, columns, after))
        if changed:
            if placement is not None:
                placement.hold({c.lead.stage for c in changed if "stage_id" in c.changes})
            _write([(c.lead, c.columns) for c in changed])
            _count([(c.lead, c.counted) for c in changed])
            record_events(
                actor=actor,
                verb=Verb.LEAD_UPDATED,
                subjects=[c.lead for c in changed],
                changes=[c.changes for c in changed],
                lead_ids=[c.lead.pk for c in changed],
                snapshots=[c.snapshot for c in changed],
            )
    return BulkResult(done=len(changed), unchanged=unchanged, skipped=dict(skipped))


@dataclass(frozen=True)
class _Changed:
    lead: Lead
    changes: dict[str, list]
    counted: tally.LeadKey  # what the lead was counted as before the edit
    columns: tuple[str, ...]
    snapshot: dict  # the lead as the API shows it after the edit


# The columns a bulk edit may change: what BULK_FIELDS and tags place, and what follows.
_COLUMNS = (
    "assigned_to_id", "status", "stage_id", "stage_entered_at", "furthest_stage_id", "tags",
    "tag_keys", "updated_at",
)  # fmt: skip


def _write(changed: list[tuple[Lead, tuple[str, ...]]]) -> None:
    """Save each lead's changed columns in one statement: when every lead gets the same values
    (a bulk assign, a move to one stage) one UPDATE of them all; otherwise (tags, which differ
    lead by lead) each lead's row of values, in one UPDATE … FROM on PostgreSQL (bulk_update,
    in batches, elsewhere). Columns a lead did not change are written with the value it has:
    its lock keeps it."""
    groups: dict[str, tuple[dict, list]] = {}
    for lead, columns in changed:
        values = {column: getattr(lead, column) for column in columns}
        key = repr(sorted((column, repr(value)) for column, value in values.items()))
        groups.setdefault(key, (values, []))[1].append(lead.pk)
    if len(groups) == 1:
        [(values, pks)] = groups.values()
        Lead.objects.filter(pk__in=pks).update(**values)
        return
    columns = [column for column in _COLUMNS if any(column in c for _, c in changed)]
    leads = [lead for lead, _ in changed]
    if connection.vendor == "postgresql":
        _update_rows(leads, columns)
    else:
        names = [Lead._meta.get_field(column).name for column in columns]
        Lead.objects.bulk_update(leads, names)


def _update_rows(leads: list[Lead], columns: list[str]) -> None:
    """UPDATE each lead's `columns` to its own values, the rows travelling as one JSON array
    (as core.tally writes its cells): one statement, whatever the number of leads."""
    quote = connection.ops.quote_name
    pk = Lead._meta.pk
    fields = [Lead._meta.get_field(column) for column in columns]
    types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in [pk, *fields])
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    rows = [
        {pk.column: lead.pk, **{f.column: getattr(lead, f.attname) for f in fields}}
        for lead in leads
    ]
    # Only identifiers from the model's metadata are formatted in; the rows are a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Lead._meta.db_table)} SET {sets} "  # noqa: S608
            f"FROM jsonb_to_recordset(%s::jsonb) AS v({types}) "
            f"WHERE {quote(Lead._meta.db_table)}.{quote(pk.column)} = v.{quote(pk.column)}",
            [orjson.dumps(rows).decode()],
        )


def _count(changed: list[tuple[Lead, tally.LeadKey]]) -> None:
    """What Lead.save counts for each lead, for all of them: their cells' changes (added up by
    tally.batch into one statement) and the move of their calls' counts (one `regrouped`)."""
    moves = []
    for lead, before in changed:
        after = lead.tally_key()
        lead._counted = after
        if before != after:
            moves.append((lead.pk, before, after))
    if moves:  # (their calls' counts first: core.tally.ORDER)
        tally.regrouped.send(sender=Lead, moves=moves)
    tally.leads_moved((before, after) for _, before, after in moves)
