"""What a task's fields may hold, who may see a task, and when a call-back falls due: the one
home of the task rules. The task services clean every write with `clean_task_fields`."""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from core.errors import clean_fields, text_cleaner

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 10_000
CALL_BACK_TITLE = "Call back"
# A due time outside these years is a typo'd year, not a plan.
EARLIEST_DUE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_DUE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
EDITABLE_FIELDS = ("title", "due_at", "notes", "assigned_to", "done")


class TaskKind(models.TextChoices):
    CALL_BACK = "call_back", "Call back"  # made by the call-back rule
    FOLLOW_UP = "follow_up", "Follow-up"  # made by a person or an integration


class TaskStatus(models.TextChoices):
    """The `status` filter: open includes overdue; overdue is open and due in the past."""

    OPEN = "open"
    DONE = "done"
    OVERDUE = "overdue"


def visible_tasks(user: "User", prefix: str = "") -> models.Q:
    """Row-level security: admins see every task, a sales rep the tasks on leads they can see
    (leads assigned to them) and the tasks assigned to them."""
    if user.is_admin:
        return models.Q()
    return models.Q(**{f"{prefix}lead__assigned_to": user}) | models.Q(
        **{f"{prefix}assigned_to": user}
    )


def status_condition(status: str, now: dt.datetime) -> models.Q:
    if status == TaskStatus.DONE:
        return models.Q(done_at__isnull=False)
    if status == TaskStatus.OVERDUE:
        return models.Q(done_at__isnull=True, due_at__lt=now)
    return models.Q(done_at__isnull=True)


def call_back_due(logged_at: dt.datetime) -> dt.datetime:
    """A call-back falls due CALLBACK_TASK_MINUTES after the missed call is logged."""
    return logged_at + dt.timedelta(minutes=settings.CALLBACK_TASK_MINUTES)


class Snooze(models.TextChoices):
    HOUR = "hour", "1 hour"
    TOMORROW = "tomorrow", "Tomorrow"


# "Tomorrow" is the start of the next working day, in the team's time zone.
SNOOZE_TOMORROW_AT = dt.time(10, 0)


def snoozed_until(snooze: str, now: dt.datetime) -> dt.datetime:
    """The new due time of a task snoozed at `now`: an hour from now, or tomorrow 10:00 (IST)."""
    if snooze == Snooze.HOUR:
        return now + dt.timedelta(hours=1)
    zone = ZoneInfo(settings.DISPLAY_TIME_ZONE)
    tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, SNOOZE_TOMORROW_AT, tzinfo=zone)


def clean_task_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields present in `fields`, normalized; InvalidFields names every field
    that breaks a rule."""
    return clean_fields(fields, _CLEANERS, EDITABLE_FIELDS)


def _due_at(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError("Must be a date and time with a time zone.")
    if not EARLIEST_DUE <= value < LATEST_DUE:
        raise ValueError("Must be between the years 2000 and 2099.")
    return value


def _assignee(value: Any) -> "User":
    if not isinstance(value, get_user_model()):
        raise ValueError("Name the assignee by their email.")
    if not value.is_active:
        raise ValueError("This user is not active.")
    return value


def _done(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "title": text_cleaner(TITLE_MAX_LENGTH, required=True),
    "due_at": _due_at,
    "notes": text_cleaner(NOTES_MAX_LENGTH, required=False),
    "assigned_to": _assignee,
    "done": _done,
}
