from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` of one API key: the request it was first used with (its
    fingerprint) and, once that request completed, its response, replayed to any repeat.
    `response_status` is null while the first request runs."""

    api_key = models.ForeignKey("apikeys.APIKey", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # Who runs the request now: a claim taken over from a process that died gets a new token,
    # and the old owner (should it still be alive) can no longer complete it.
    owner = models.UUIDField()
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_location = models.CharField(max_length=300, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.response_status or 'running'})"
