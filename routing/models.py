"""Lead routing: assignment rules, the round-robin turn of each rep in a rule, the log of what
was routed to whom (the Today page's "new since your last visit"), and each user's last visit.

The routing app sits below leads (leads.services calls it): it knows a new lead only by its
source, and the leads it logs only by their id, as the event stream does."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .rules import NAME_MAX_LENGTH, SOURCE_MAX_LENGTH


class AssignmentRule(models.Model):
    """New leads from `source` (blank: from any source) go to the rule's reps in turn. The
    first active rule by position that matches a lead's source, and has an active rep, wins."""

    EVENT_SUBJECT = "routing_rule"  # events.Event.subject_type

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    position = models.PositiveIntegerField(default=0, editable=False)
    source = models.CharField(
        max_length=SOURCE_MAX_LENGTH, blank=True, help_text="Blank: leads from any source."
    )
    active = models.BooleanField(default=True)
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RuleRep", related_name="assignment_rules", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "assignment rule"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="routing_rule_name_unique"),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="routing_rule_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RuleRep(models.Model):
    """A rep in a rule, with their place in its round robin: the rep whose `last_turn` is
    lowest gets the next lead (ties: who joined first), and then takes the rule's highest turn
    plus one. A rep who joins, or comes back from being inactive, gets the next lead and then
    waits their turn like the others: never a run of leads to catch up."""

    rule = models.ForeignKey(AssignmentRule, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_turn = models.PositiveBigIntegerField(default=0, editable=False)
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    lead_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["rule", "id"]
        verbose_name = "rep in a rule"
        constraints = [
            models.UniqueConstraint(fields=["rule", "user"], name="routing_rule_rep_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.rule}"


class RoutedLead(models.Model):
    """A lead a rule assigned, to whom, when: what the Today page counts as new since the
    rep's last visit. Written in the lead's own transaction. `lead_id` is a plain column (as
    in events.Event): the routing app knows nothing above it."""

    lead_id = models.UUIDField()
    lead_name = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_name = models.CharField(max_length=NAME_MAX_LENGTH)
    routed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-routed_at", "-id"]
        verbose_name = "routed lead"
        indexes = [models.Index(fields=["user", "-routed_at"], name="routed_user_at_idx")]

    def __str__(self) -> str:
        return f"{self.lead_name} → {self.user} ({self.rule_name})"


class TodayVisit(models.Model):
    """When a user last looked at the Today page: leads routed to them after it are new."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} at {self.seen_at:%Y-%m-%d %H:%M}"
