import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from leads.models import Lead

from .rules import TITLE_MAX_LENGTH, TaskKind, visible_tasks


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TaskQuerySet":
        """Row-level security (tasks.rules.visible_tasks)."""
        return self.filter(visible_tasks(user))

    def open(self) -> "TaskQuerySet":
        return self.filter(done_at__isnull=True)


class Task(models.Model):
    """A follow-up on a lead, assigned to a user, due at a time; open until done (by whom,
    when). The services (tasks.services) are the only writers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=10, choices=TaskKind, default=TaskKind.FOLLOW_UP)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    due_at = models.DateTimeField()
    notes = models.TextField(null=True, blank=True)
    # Always set by the services; null only once the user is deleted (as a lead's assignee).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # For a call-back: the missed call that asked for it (a plain id: calls sit above tasks).
    # If that call turns out to have been answered (a dialer reports its end), the call-back
    # is done.
    call_id = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=TaskKind.values), name="task_kind"),
            models.CheckConstraint(condition=~models.Q(title=""), name="task_title_not_empty"),
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=False) | models.Q(done_by__isnull=True),
                name="task_done_by_only_when_done",
            ),
            # The call-back rule's "unless one is open", held by the database: two missed
            # calls logged at the same moment make one call-back, not two.
            models.UniqueConstraint(
                fields=["lead"],
                condition=models.Q(kind=TaskKind.CALL_BACK, done_at__isnull=True),
                name="task_one_open_call_back_per_lead",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at", "id"], name="task_due_idx"),
            models.Index(fields=["assigned_to", "due_at"], name="task_assignee_due_idx"),
            models.Index(fields=["lead", "due_at"], name="task_lead_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at < timezone.now()
