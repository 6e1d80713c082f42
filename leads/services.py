"""Lead business rules: create-or-merge (dedup on phone and email), edits, notes, deletion.
The API, the browser UI and the admin all call these, so they cannot disagree."""

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import User
from audit.services import Actor, audit_record
from crm.errors import Conflict, Forbidden, NotFound, ServiceError

from .models import MAX_TAGS, Activity, ActivityKind, Lead
from .normalization import normalize_email, normalize_phone

logger = logging.getLogger(__name__)

# Fields a caller may set on a lead; anything else in `fields` is ignored.
EDITABLE_FIELDS = (
    "name", "email", "phone", "company", "city", "source", "status", "priority", "tags",
    "deal_value", "notes", "assigned_to",
)  # fmt: skip
_UPSERT_ATTEMPTS = 3
HIDDEN_DUPLICATE = "A lead with this phone or email already exists and is not assigned to you."


@dataclass(frozen=True)
class UpsertResult:
    lead: Lead
    created: bool


def merge_tags(existing: list[str], new: list[str]) -> list[str]:
    """Union keeping first-seen order; tags differing only in case count as one. A lead has at
    most MAX_TAGS tags, however many merges add to it."""
    merged: list[str] = []
    seen: set[str] = set()
    for tag in [*existing, *new]:
        tag = tag.strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            merged.append(tag)
    if len(merged) > MAX_TAGS:
        message = f"A lead has at most {MAX_TAGS} tags; this would make {len(merged)}."
        raise ServiceError(message, "tags")
    return merged


def check_contact(phone: str | None, email: str | None) -> None:
    """A lead is reachable: it has a phone or an email (the database checks it too)."""
    if not phone and not email:
        raise ServiceError("Provide a phone or an email (or both).", "phone")


def lead_upsert(*, actor: Actor, fields: dict[str, Any]) -> UpsertResult:
    """Create a lead, or merge `fields` into the existing lead with the same phone or email.

    `fields` holds only what the caller sent (validated), so omitted fields keep their values on
    a merge and model defaults apply only to a new lead. Merge rules:
    - fields present overwrite; tags are unioned;
    - when the phone matches one lead and the email another, the phone match wins and the email
      stays with the lead that has it (the merged lead keeps its own email);
    - a match the actor cannot see is a 409 that says nothing about that lead.
    Simultaneous identical requests are settled by the unique constraints on the dedup keys:
    the loser's insert fails, and it retries as a merge.
    """
    fields = {name: value for name, value in fields.items() if name in EDITABLE_FIELDS}
    check_contact(fields.get("phone"), fields.get("email"))
    _check_assignment(actor, fields)
    phone_key = normalize_phone(fields["phone"]) if fields.get("phone") else None
    email_key = normalize_email(fields["email"]) if fields.get("email") else None

    for attempt in range(_UPSERT_ATTEMPTS):
        try:
            with transaction.atomic():
                by_phone, by_email = _matches(phone_key, email_key)
                target = by_phone or by_email
                if target is None:
                    return UpsertResult(_create(actor, fields), created=True)
                if not _can_see(actor, target):
                    raise Conflict(HIDDEN_DUPLICATE)
                if by_email is not None and by_email.pk != target.pk:
                    fields = {k: v for k, v in fields.items() if k != "email"}
                _merge(actor, target, fields)
                return UpsertResult(target, created=False)
        except IntegrityError:
            # Another request inserted or claimed this phone/email between our read and write.
            # Its transaction has committed, so the next attempt finds it and merges.
            if attempt == _UPSERT_ATTEMPTS - 1:
                raise
            logger.info("lead_upsert lost a race on phone/email; retrying as a merge")
    raise AssertionError("unreachable")


def _can_see(actor: Actor, lead: Lead) -> bool:
    return actor.user.is_admin or lead.assigned_to_id == actor.user.pk


def _check_assignment(actor: Actor, fields: dict[str, Any]) -> None:
    """A sales rep's leads are theirs: they cannot assign to anyone else, and "nobody" (null)
    means themselves, or the lead would vanish from their view."""
    if actor.user.is_admin or "assigned_to" not in fields:
        return
    assignee = fields["assigned_to"]
    if assignee is not None and assignee.pk != actor.user.pk:
        raise Forbidden("Sales reps can assign leads only to themselves.", "assigned_to")
    fields["assigned_to"] = actor.user


def _matches(phone_key: str | None, email_key: str | None) -> tuple[Lead | None, Lead | None]:
    query = Q(pk__in=[])
    if phone_key:
        query |= Q(phone_e164=phone_key)
    if email_key:
        query |= Q(email_key=email_key)
    by_phone = by_email = None
    # The assignee comes along (the response shows its email); only the lead rows are locked.
    matches = Lead.objects.select_related("assigned_to").select_for_update(of=("self",))
    for lead in matches.filter(query).order_by("created_at"):
        if phone_key and lead.phone_e164 == phone_key:
            by_phone = lead
        if email_key and lead.email_key == email_key:
            by_email = lead
    return by_phone, by_email


def _create(actor: Actor, fields: dict[str, Any]) -> Lead:
    values = {**fields, "tags": merge_tags([], fields.get("tags") or [])}
    if not actor.user.is_admin:
        values["assigned_to"] = actor.user
    lead = Lead(**values)
    lead.save(force_insert=True)
    _record(actor, lead, ActivityKind.CREATED, f"Lead created via {actor.channel}.", "lead.create")
    return lead


def _merge(actor: Actor, lead: Lead, fields: dict[str, Any]) -> None:
    changes = _apply(lead, fields, union_tags=True)
    if changes:
        check_contact(lead.phone, lead.email)
        lead.save()
    summary = _describe(changes) if changes else "no fields changed"
    _record(
        actor, lead, ActivityKind.MERGED, f"Merged a duplicate from {actor.channel}: {summary}.",
        "lead.merge", changes,
    )  # fmt: skip


def _apply(lead: Lead, fields: dict[str, Any], *, union_tags: bool) -> dict[str, list]:
    """Set `fields` on `lead`; returns {field: [old, new]} for what actually changed. Tags are
    added to the lead's (a merge) or replace them (an edit)."""
    changes: dict[str, list] = {}
    for name, value in fields.items():
        if name == "tags":
            value = merge_tags(lead.tags if union_tags else [], value or [])
        old = getattr(lead, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(lead, name, value)
    return changes


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for the audit log."""
    if isinstance(value, User):
        return value.email
    if value is None or isinstance(value, bool | int | float | str | list):
        return value
    return str(value)


def _describe(changes: dict[str, list]) -> str:
    parts = []
    for name, (old, new) in changes.items():
        label = name.replace("_", " ")
        if name in {"notes", "tags"}:
            parts.append(f"{label} updated")
        else:
            parts.append(f"{label} {old or '—'} → {new or '—'}")
    return ", ".join(parts)


def _record(
    actor: Actor, lead: Lead, kind: str, message: str, action: str, changes: dict | None = None
) -> None:
    Activity.objects.create(lead=lead, kind=kind, message=message, actor=actor.user)
    audit_record(actor=actor, action=action, obj=lead, changes=changes)


def _locked(actor: Actor, lead_id) -> Lead:
    """The lead, locked for this transaction, if it still exists and the actor may see it."""
    lead = Lead.objects.visible_to(actor.user).select_for_update().filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("This lead does not exist (any more).", "lead_id")
    return lead


def lead_update(*, actor: Actor, lead: Lead, fields: dict[str, Any]) -> dict[str, list]:
    """Edit a lead the actor can see (the UI's edit form and quick actions, the admin). Tags
    given here replace the lead's tags. A phone or email that belongs to another lead is a
    Conflict. Returns what changed, as {field: [old, new]}."""
    fields = {name: value for name, value in fields.items() if name in EDITABLE_FIELDS}
    _check_assignment(actor, fields)
    try:
        with transaction.atomic():
            lead = _locked(actor, lead.pk)
            changes = _apply(lead, fields, union_tags=False)
            if not changes:
                return changes
            check_contact(lead.phone, lead.email)
            lead.save()
            _record_edit(actor, lead, changes)
            return changes
    except IntegrityError:
        field = _taken_key(lead)
        raise Conflict(f"Another lead already has this {field}.", field) from None


def _record_edit(actor: Actor, lead: Lead, changes: dict[str, list]) -> None:
    """One timeline entry per kind of change: status and assignment get their own."""
    rest = dict(changes)
    if status := rest.pop("status", None):
        message = f"Status {status[0]} → {status[1]}."
        _record(
            actor, lead, ActivityKind.STATUS_CHANGED, message, "lead.status", {"status": status}
        )
    if assignee := rest.pop("assigned_to", None):
        message = f"Assigned to {assignee[1] or 'nobody'} (was {assignee[0] or 'nobody'})."
        changes = {"assigned_to": assignee}
        _record(actor, lead, ActivityKind.ASSIGNED, message, "lead.assign", changes)
    if rest:
        message = f"Edited: {_describe(rest)}."
        _record(actor, lead, ActivityKind.UPDATED, message, "lead.update", rest)


def _taken_key(lead: Lead) -> str:
    """Which of the lead's dedup keys another lead holds: the field to blame for a conflict."""
    phone = normalize_phone(lead.phone) if lead.phone else None
    others = Lead.objects.exclude(pk=lead.pk)
    return "phone" if phone and others.filter(phone_e164=phone).exists() else "email"


def lead_add_note(*, actor: Actor, lead: Lead, text: str) -> Activity:
    with transaction.atomic():
        lead = _locked(actor, lead.pk)
        note = Activity.objects.create(
            lead=lead, kind=ActivityKind.NOTE, message=text, actor=actor.user
        )
        audit_record(actor=actor, action="lead.note", obj=lead, changes={"note": text[:500]})
    return note


def lead_delete(*, actor: Actor, lead: Lead) -> None:
    """Delete the lead with its call logs and timeline, in one transaction; the audit log keeps
    a record of what was deleted. A lead deleted meanwhile by someone else is a NotFound."""
    with transaction.atomic():
        lead = _locked(actor, lead.pk)
        audit_record(
            actor=actor,
            action="lead.delete",
            obj=lead,
            changes={"name": lead.name, "phone": lead.phone, "email": lead.email},
        )
        lead.delete()
