from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from .allowlist import validate_allowlist


def default_rate_limit() -> int:
    return settings.API_RATE_LIMIT_PER_MINUTE


class Permission(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    DELETE = "delete", "Delete"


class APIKeyQuerySet(models.QuerySet):
    def manageable_by(self, user) -> "APIKeyQuerySet":
        """Admins manage every key; a sales rep only the keys linked to themselves."""
        if user.is_admin:
            return self
        return self.filter(user=user)


class APIKey(models.Model):
    """An integration's credential. The raw key exists only in the response that created it;
    this row keeps its SHA-256 (to look it up) and a short prefix (to recognise it)."""

    EVENT_SUBJECT = "api_key"

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name="linked user",
        help_text="API calls act as this user: their visibility, assignments and audit entries.",
    )
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    can_read = models.BooleanField("Read", default=True)
    can_write = models.BooleanField("Write", default=False)
    can_delete = models.BooleanField("Delete", default=False)
    allowed_ips = models.JSONField(
        "IP allowlist",
        default=list,
        blank=True,
        help_text="Addresses or CIDR ranges; empty allows every address.",
        validators=[validate_allowlist],
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=default_rate_limit,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_limit_per_minute__gte=1), name="apikey_rate_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        if not (self.can_read or self.can_write or self.can_delete):
            raise ValidationError("Turn on at least one permission, or revoke the key.")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, permission: Permission) -> bool:
        return {
            Permission.READ: self.can_read,
            Permission.WRITE: self.can_write,
            Permission.DELETE: self.can_delete,
        }[permission]

    @property
    def permission_labels(self) -> list[str]:
        return [p.label for p in Permission if self.allows(p)]
