"""Reading routing: the rules in order with their reps, and what was routed to a user since
their last visit to the Today page."""

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import AssignmentRule, RoutedLead, RuleRep, TodayVisit

if TYPE_CHECKING:
    from accounts.models import User

NEWEST = 10


def rules_in_order() -> QuerySet[AssignmentRule]:
    """Every rule, in the order they are tried, with `members` (their reps, who joined first
    first, with the user) prefetched."""
    members = RuleRep.objects.select_related("user").order_by("pk")
    return AssignmentRule.objects.order_by("position", "pk").prefetch_related(
        Prefetch("members", queryset=members)
    )


@dataclass(frozen=True)
class RoutedSince:
    """Leads routed to a user since `since` (None: since ever): how many, and the newest of
    them (objects of the `leads` queryset given, newest first). `as_of` is the moment to
    record as the visit (see routed_since_last_visit)."""

    since: dt.datetime | None
    as_of: dt.datetime
    count: int
    leads: list = field(default_factory=list)


# A lead is logged as routed when it is routed, but seen only once its transaction commits a
# moment later: a visit is recorded this much before the read, so that a lead committing
# during the read is counted at the next visit rather than never (at worst it is shown twice).
SETTLE = dt.timedelta(seconds=10)


def last_visit(user: "User") -> dt.datetime | None:
    return TodayVisit.objects.filter(user=user).values_list("seen_at", flat=True).first()


def routed_since_last_visit(user: "User", *, leads: QuerySet, newest: int = NEWEST) -> RoutedSince:
    """The leads routing gave `user` after their last visit to the Today page (all of them,
    before their first visit), among `leads`, a queryset of leads.Lead: pass the leads the user
    may see (`Lead.objects.visible_to(user)`), so that one deleted or reassigned since is not
    counted. Two queries; three when there are more than `newest`.

    On the Today page: read this, show it, then record the visit with
    routing.services.today_visit_record(user=user, at=result.as_of)."""
    as_of = timezone.now() - SETTLE
    since = last_visit(user)
    routed = RoutedLead.objects.filter(user=user)
    if since is not None:
        routed = routed.filter(routed_at__gt=since)
    mine = leads.filter(pk__in=routed.values("lead_id"))
    newest_leads = list(mine.order_by("-created_at", "-pk")[:newest])
    count = len(newest_leads) if len(newest_leads) < newest else mine.count()
    return RoutedSince(since=since, as_of=as_of, count=count, leads=newest_leads)
