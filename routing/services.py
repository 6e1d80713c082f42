"""Assignment rules (create, edit, reorder, delete: admins only, one event each) and routing
itself: which rep a new, unassigned lead goes to.

Routing is fair under concurrency: `route_new_leads` runs inside the transaction that creates
the leads and first locks every active rule (FOR UPDATE, in one order), so two leads created at
the same moment are routed one after the other, the second seeing the turn the first took: no
rep gets two while another is due. The price: creates of unassigned leads wait for each other
from that lock to their commit (the insert, its counts, its event: a few milliseconds), while
there is an active rule; a lead created with an assignee (or by a rep's key) never takes the
lock. A turn is taken in the create's own transaction, not before it, so that a create that
fails does not skip a rep. Locking every active rule, rather than the one that matches, keeps a
transaction that routes several leads (a bulk under an Idempotency-Key) from deadlocking
another: both take the same rows in the same order, at their first routing."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import Conflict, Forbidden, NotFound, ServiceError
from events.models import Verb
from events.services import Actor, diff, record_event

from . import notify
from .models import AssignmentRule, RoutedLead, RuleRep, TodayVisit
from .rules import MAX_REPS, clean_rule_fields, next_member, source_matches, turn_after

if TYPE_CHECKING:
    import datetime as dt

    from accounts.models import User


@dataclass(frozen=True)
class Routing:
    """Where a rule sent a lead: to `user`, by the rule `rule_id` named `rule_name`."""

    user: "User"
    rule_id: int
    rule_name: str


# --- Routing ---------------------------------------------------------------------------------


def route_new_leads(*, sources: Sequence[str]) -> list[Routing | None]:
    """For new unassigned leads from these sources, in order: the rep each goes to and the rule
    that chose them, or None where no active rule with an active rep matches. Each rep chosen
    has taken their turn (written in the current transaction, which must be the one creating
    the leads: if it rolls back, so do the turns)."""
    if not sources:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("route_new_leads must run inside the transaction creating the leads.")
    rules = list(AssignmentRule.objects.filter(active=True).order_by("pk").select_for_update())
    if not rules:
        return [None] * len(sources)
    rules.sort(key=lambda rule: (rule.position, rule.pk))
    teams: dict[int, list[RuleRep]] = defaultdict(list)
    members = RuleRep.objects.filter(rule__in=rules, user__is_active=True).select_related("user")
    for member in members.order_by("pk"):
        teams[member.rule_id].append(member)
    now = timezone.now()
    taken: dict[int, RuleRep] = {}
    routings: list[Routing | None] = []
    for source in sources:
        rule = next(
            (rule for rule in rules if teams[rule.pk] and source_matches(rule.source, source)),
            None,
        )
        if rule is None:
            routings.append(None)
            continue
        team = teams[rule.pk]
        member = next_member(team)
        member.last_turn = turn_after(team)
        member.last_assigned_at = now
        member.lead_count += 1
        taken[member.pk] = member
        routings.append(Routing(user=member.user, rule_id=rule.pk, rule_name=rule.name))
    if taken:
        RuleRep.objects.bulk_update(
            list(taken.values()), ["last_turn", "last_assigned_at", "lead_count"]
        )
    return routings


def routed_leads_record(*, routed: Iterable[tuple[Routing, Mapping[str, Any]]]) -> None:
    """After leads routed by route_new_leads are saved, in their transaction: log each (the
    Today page's "new since your last visit") and, once the transaction commits, email each
    rep about theirs. A lead is given as API v1 represents it (its `id`, `name`, `phone`…)."""
    routed = list(routed)
    if not routed:
        return
    now = timezone.now()
    RoutedLead.objects.bulk_create(
        RoutedLead(
            lead_id=uuid.UUID(str(lead["id"])),
            lead_name=str(lead["name"])[:200],
            user=routing.user,
            rule_id=routing.rule_id,
            rule_name=routing.rule_name,
            routed_at=now,
        )
        for routing, lead in routed
    )
    per_rep: dict[int, list[notify.RoutedToRep]] = defaultdict(list)
    for routing, lead in routed:
        per_rep[routing.user.pk].append(notify.RoutedToRep(routing.user, routing.rule_name, lead))
    # After the commit: a lead rolled back is never announced, and a mail server that is down
    # or slow never fails (or holds the locks of) the request that created the lead.
    for leads in per_rep.values():
        transaction.on_commit(partial(notify.announce, leads), robust=True)


def today_visit_record(*, user: "User", at: "dt.datetime | None" = None) -> None:
    """The user has seen the Today page as of `at` (default: now). Pass the `as_of` of the
    routing.selectors.routed_since_last_visit read the page showed, so that a lead routed
    between that read and this write still counts as new next time."""
    at = at or timezone.now()
    updated = TodayVisit.objects.filter(user=user, seen_at__lt=at).update(seen_at=at)
    if not updated and not TodayVisit.objects.filter(user=user).exists():
        try:
            with transaction.atomic():
                TodayVisit.objects.create(user=user, seen_at=at)
        except IntegrityError:  # another tab of the same user, at the same moment
            TodayVisit.objects.filter(user=user, seen_at__lt=at).update(seen_at=at)


# --- Assignment rules ------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    # (The system itself, with no user, may: migrations and commands.)
    if not actor.is_admin and actor.user is not None:
        raise Forbidden("Only admins change assignment rules.")


def assignment_rule_create(
    *, actor: Actor, fields: dict[str, Any], reps: Iterable["User"]
) -> AssignmentRule:
    """A new rule, last in order (move it up to make it win over others)."""
    _require_admin(actor)
    fields = clean_rule_fields(fields)
    if "name" not in fields:
        raise ServiceError("Name the rule.", "name")
    reps = _clean_reps(reps)
    with transaction.atomic():
        rules = _lock_every_rule()
        position = max((rule.position for rule in rules), default=0) + 1
        rule = _saved(AssignmentRule(position=position, **fields))
        RuleRep.objects.bulk_create(RuleRep(rule=rule, user=user) for user in reps)
        snapshot = assignment_rule_snapshot(rule)
        record_event(
            actor=actor,
            verb=Verb.ROUTING_RULE_CREATED,
            subject=rule,
            changes=diff({}, snapshot),
            snapshot=snapshot,
        )
    return rule


def assignment_rule_update(
    *,
    actor: Actor,
    rule: AssignmentRule,
    fields: dict[str, Any],
    reps: Iterable["User"] | None = None,
) -> AssignmentRule:
    """Edit a rule's name, source or active flag, and (when `reps` is given) its reps: reps
    who stay keep their place in the round robin, new ones get the next lead."""
    _require_admin(actor)
    fields = clean_rule_fields(fields)
    with transaction.atomic():
        rule = _locked(rule.pk)
        if reps is not None:
            reps = _clean_reps(reps, members=set(rule.members.values_list("user_id", flat=True)))
        before = assignment_rule_snapshot(rule)
        for name, value in fields.items():
            setattr(rule, name, value)
        if reps is not None:
            _set_reps(rule, reps)
        after = assignment_rule_snapshot(rule)
        changes = diff(before, after)
        if changes:
            _saved(rule)
            record_event(
                actor=actor,
                verb=Verb.ROUTING_RULE_UPDATED,
                subject=rule,
                changes=changes,
                snapshot=after,
            )
    return rule


def assignment_rule_delete(*, actor: Actor, rule: AssignmentRule) -> None:
    """Delete a rule (the rules after it move up one place). The leads it routed keep their
    rep, and their events its name."""
    _require_admin(actor)
    with transaction.atomic():
        rules = {locked.pk: locked for locked in _lock_every_rule()}
        rule = rules.get(rule.pk)
        if rule is None:
            raise NotFound("This rule does not exist (any more).", "rule_id")
        record_event(
            actor=actor,
            verb=Verb.ROUTING_RULE_DELETED,
            subject=rule,
            changes={},
            snapshot=assignment_rule_snapshot(rule),
        )
        rule.delete()
        AssignmentRule.objects.filter(position__gt=rule.position).update(position=F("position") - 1)


def assignment_rule_reorder(*, actor: Actor, rule_ids: Sequence) -> list[AssignmentRule]:
    """Put every rule in the order given (each once): the first that matches a lead wins."""
    _require_admin(actor)
    with transaction.atomic():
        rules = {rule.pk: rule for rule in _lock_every_rule()}
        try:
            wanted = [int(rule_id) for rule_id in rule_ids]
        except (TypeError, ValueError):
            raise ServiceError("Give rule ids.", "rules") from None
        if sorted(wanted) != sorted(rules):
            raise ServiceError("Give every rule, each once.", "rules")
        before = {rule.pk: rule.position for rule in rules.values()}
        ordered = [rules[rule_id] for rule_id in wanted]
        for position, rule in enumerate(ordered, start=1):
            rule.position = position
        moved = [rule for rule in ordered if rule.position != before[rule.pk]]
        now = timezone.now()
        for rule in moved:
            rule.updated_at = now
        AssignmentRule.objects.bulk_update(moved, ["position", "updated_at"])
        for rule in moved:  # one event per rule that changed place
            record_event(
                actor=actor,
                verb=Verb.ROUTING_RULE_UPDATED,
                subject=rule,
                changes={"position": [before[rule.pk], rule.position]},
                snapshot=assignment_rule_snapshot(rule),
            )
    return ordered


def assignment_rule_move(*, actor: Actor, rule: AssignmentRule, offset: int) -> None:
    """Move a rule one place up (-1) or down (+1). The order is read with the rules locked: of
    two admins moving rules at the same moment, the second moves from where the first left."""
    _require_admin(actor)
    with transaction.atomic():
        _lock_every_rule()
        ids = list(AssignmentRule.objects.order_by("position", "pk").values_list("pk", flat=True))
        if rule.pk not in ids:
            raise NotFound("This rule does not exist (any more).", "rule_id")
        index = ids.index(rule.pk)
        target = index + offset
        if 0 <= target < len(ids):
            ids[index], ids[target] = ids[target], ids[index]
            assignment_rule_reorder(actor=actor, rule_ids=ids)


def assignment_rule_snapshot(rule: AssignmentRule) -> dict[str, Any]:
    reps = RuleRep.objects.filter(rule=rule).select_related("user").order_by("user__email")
    return {
        "id": rule.pk,
        "name": rule.name,
        "position": rule.position,
        "source": rule.source or None,
        "active": rule.active,
        "reps": [member.user.email for member in reps],
    }


def _clean_reps(reps: Iterable["User"], members: Collection[int] = ()) -> list["User"]:
    """The reps of a rule: at least one, each once (in the order given: on a tie for the next
    lead, who joined first), each an active user unless already one of its `members` (a rep
    made inactive stays in their rules, skipped, until they are taken out)."""
    unique: dict[int, User] = {}
    for user in reps:
        unique.setdefault(user.pk, user)
    if not unique:
        raise ServiceError("Choose at least one rep.", "reps")
    if len(unique) > MAX_REPS:
        raise ServiceError(f"A rule has at most {MAX_REPS} reps.", "reps")
    users = get_user_model().objects.filter(pk__in=unique)
    active = set(users.filter(is_active=True).values_list("pk", flat=True))
    missing = [user.email for pk, user in unique.items() if pk not in active and pk not in members]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        message = f"Only active users can be given leads: {', '.join(missing)} {verb} not."
        raise ServiceError(message, "reps")
    return list(unique.values())


def _set_reps(rule: AssignmentRule, reps: list["User"]) -> None:
    current = {member.user_id: member for member in RuleRep.objects.filter(rule=rule)}
    wanted = [user.pk for user in reps]
    RuleRep.objects.filter(rule=rule).exclude(user_id__in=wanted).delete()
    RuleRep.objects.bulk_create(RuleRep(rule=rule, user=u) for u in reps if u.pk not in current)


def _lock_every_rule() -> list[AssignmentRule]:
    """Every rule, locked in one order (the one route_new_leads locks the active ones in)."""
    return list(AssignmentRule.objects.select_for_update().order_by("pk"))


def _locked(rule_id) -> AssignmentRule:
    rule = AssignmentRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("This rule does not exist (any more).", "rule_id")
    return rule


def _saved(rule: AssignmentRule) -> AssignmentRule:
    """Save it; a name another rule has (ignoring case) is a Conflict on the name."""
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise Conflict("Another rule has this name.", "name") from None
    return rule
