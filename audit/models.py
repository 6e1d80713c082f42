from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    """Who did what, through which key, from where. Rows outlive the lead, the key and the user
    they name: references are SET_NULL and the names are copied into the row."""

    action = models.CharField(max_length=40)  # "lead.create", "lead.merge", "call.delete", ...
    object_type = models.CharField(max_length=20)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_email = models.CharField(max_length=254, blank=True)
    api_key = models.ForeignKey(
        "apikeys.APIKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_id} by {self.user_email or 'system'}"

    @property
    def channel(self) -> str:
        return "API" if self.api_key_label else "Web"
