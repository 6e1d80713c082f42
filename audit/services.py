from dataclasses import dataclass
from typing import Any

from django.db import models

from .models import AuditLog


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user, and the API key and client address when the request came
    through the API. Services take one so the timeline and the audit log can say who did what."""

    user: Any  # accounts.User; None only for the system itself
    api_key: Any = None  # apikeys.APIKey | None
    ip: str | None = None

    @property
    def channel(self) -> str:
        return f"API key “{self.api_key.name}”" if self.api_key else "the web app"


def audit_record(
    *, actor: Actor | None, action: str, obj: models.Model, changes: dict | None = None
) -> AuditLog:
    """Write one audit entry. `actor` None is the system itself (a management command)."""
    actor = actor or Actor(user=None)
    return AuditLog.objects.create(
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        user=actor.user,
        user_email=actor.user.email if actor.user else "",
        api_key=actor.api_key,
        api_key_label=str(actor.api_key) if actor.api_key else "",
        ip=actor.ip,
        changes=changes or {},
    )
