"""Plain factory functions for tests: real rows through the real models and services."""

import itertools

from accounts.models import User
from apikeys.models import APIKey
from apikeys.services import apikey_create
from calls.models import CallLog
from events.services import Actor
from leads.models import Lead
from pipelines.models import Stage
from pipelines.selectors import Placement

_sequence = itertools.count(1)


def make_user(email: str | None = None, *, admin: bool = False, password: str = "pw") -> User:
    email = email or f"user{next(_sequence)}@example.com"
    if admin:
        return User.objects.create_superuser(email, password)
    return User.objects.create_user(email, password)


def make_key(
    user: User,
    *,
    permissions: str = "read,write,delete",
    allowed_ips: list[str] | None = None,
    rate_limit: int | None = None,
    name: str = "test key",
) -> tuple[APIKey, str]:
    wanted = set(permissions.split(",")) if permissions else set()
    return apikey_create(
        actor=Actor.system(),
        name=name,
        user=user,
        can_read="read" in wanted,
        can_write="write" in wanted,
        can_delete="delete" in wanted,
        allowed_ips=allowed_ips,
        rate_limit_per_minute=rate_limit,
    )


def unique_phone() -> str:
    return f"+9197{next(_sequence):08d}"


def make_lead(**fields) -> Lead:
    fields.setdefault("name", f"Lead {next(_sequence)}")
    if "phone" not in fields and "email" not in fields:
        fields["phone"] = unique_phone()
    if "stage" not in fields:  # the default pipeline's stage of its status
        status = fields.setdefault("status", "New")
        fields["stage"] = Placement().stage_for(current=None, status=status)
    else:
        fields["status"] = fields["stage"].status
    lead = Lead(**fields)
    lead.save()
    return lead


def make_call(lead: Lead, **fields) -> CallLog:
    fields.setdefault("call_type", "Inbound")
    fields.setdefault("duration_seconds", 60)
    return CallLog.objects.create(lead=lead, **fields)


def stage_change(previous: str, new: str) -> dict[str, list]:
    """What a lead's event records when it moves between two stages of the default pipeline
    (named as their status): the status, the stage's name and its id."""
    ids = {stage.name: str(stage.pk) for stage in Stage.objects.filter(pipeline__is_default=True)}
    return {
        "status": [previous, new],
        "stage": [previous, new],
        "stage_id": [ids[previous], ids[new]],
    }
