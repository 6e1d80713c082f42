"""What the pages keep for their users: saved views of the leads list. (The pages' own
preferences, not the domain's data: they live with the pages.)"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

MAX_VIEW_NAME = 80


class SavedView(models.Model):
    """A name for a leads-list query string (its filters and sort), validated through the
    list's filter form when saved and when applied (ui.services). Its owner's menu shows it;
    a shared one (only an admin shares) shows in everyone's, labelled."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=MAX_VIEW_NAME)
    query = models.CharField(max_length=2000, blank=True)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # One name per owner, whatever its case: "Hot leads" and "hot leads" would be two
            # indistinguishable menu entries.
            models.UniqueConstraint("owner", Lower("name"), name="saved_view_name_per_owner"),
            models.CheckConstraint(condition=~models.Q(name=""), name="saved_view_name_not_empty"),
        ]
        indexes = [
            models.Index(
                fields=["shared"], condition=models.Q(shared=True), name="saved_view_shared_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name
