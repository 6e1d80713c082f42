"""What a call log's fields may hold, and who may see a call: the one home of the call rules.
The call services clean every write with `clean_call_fields`."""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from core.errors import InvalidFields, clean_fields, text_cleaner


class CallType(models.TextChoices):
    INBOUND = "Inbound"
    OUTBOUND = "Outbound"


class CallOutcome(models.TextChoices):
    COMPLETED = "Completed"
    BUSY = "Busy"
    NO_ANSWER = "No Answer"
    VOICEMAIL = "Voicemail"
    MISSED = "Missed"


EDITABLE_FIELDS = (
    "call_type", "duration_seconds", "outcome", "notes", "called_at", "recording_url",
)  # fmt: skip
EXTERNAL_ID_LENGTH = 100
RECORDING_URL_LENGTH = 2000
NOTES_LENGTH = 5000
# A call lasts at most a day (inclusive): anything longer is a dialer's or a typist's mistake
# (a timestamp sent as a duration, minutes typed as seconds) that would swamp every total.
MAX_DURATION_SECONDS = 86_400
DURATION_TOO_LONG = f"At most 24 hours ({MAX_DURATION_SECONDS} seconds)."
# A call before this, or more than a day of clock skew in the future, is a typo'd year: it would
# sort the call out of (or on top of) every list.
EARLIEST_CALL = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CLOCK_SKEW = dt.timedelta(days=1)


def default_outcome(duration_seconds: int) -> CallOutcome:
    """0 seconds means nobody picked up: Missed, unless the caller said otherwise."""
    return CallOutcome.MISSED if duration_seconds == 0 else CallOutcome.COMPLETED


def form_outcome(duration_seconds: int, call_type: str) -> CallOutcome:
    """The call form's "Auto" outcome: a 0-second inbound call was missed, a 0-second outbound
    call was not answered; anything longer was a conversation. (The API keeps its documented
    default_outcome.)"""
    if duration_seconds:
        return CallOutcome.COMPLETED
    return CallOutcome.MISSED if call_type == CallType.INBOUND else CallOutcome.NO_ANSWER


# The call-back rule (tasks.services makes and closes the tasks): a missed inbound call asks for
# a call-back; a completed outbound call is one.
CALL_BACK_WANTED = {
    (CallType.INBOUND, CallOutcome.MISSED),
    (CallType.INBOUND, CallOutcome.NO_ANSWER),
}
CALL_BACK_DONE = {(CallType.OUTBOUND, CallOutcome.COMPLETED)}


def format_duration(seconds: int) -> str:
    """125 → "2m 05s"; 0 → "0s"; 3725 → "1h 02m"."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def clean_call_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields present in `fields`, normalized; InvalidFields names every
    field that breaks a rule. `outcome` None means "from the duration"."""
    return clean_fields(fields, _CLEANERS, EDITABLE_FIELDS)


def _choice(choices, *, nullable: bool = False) -> Callable[[Any], str | None]:
    def clean(value: Any) -> str | None:
        if value is None and nullable:
            return None
        if value not in choices.values:
            raise ValueError(f"“{value}” is not one of: {', '.join(choices.values)}.")
        return value

    return clean


def _duration(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Must be a whole number of seconds.")
    if value < 0:
        raise ValueError("Must not be negative.")
    if value > MAX_DURATION_SECONDS:
        raise ValueError(DURATION_TOO_LONG)
    return value


def _called_at(value: Any) -> dt.datetime:
    if value is None:
        return timezone.now()
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError("Must be a date and time with a time zone.")
    if not EARLIEST_CALL <= value <= timezone.now() + CLOCK_SKEW:
        raise ValueError("Must be between 2000-01-01 and now (a day of clock skew is allowed).")
    return value


def _recording_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("Must be a string.")
    value = value.strip()
    if len(value) > RECORDING_URL_LENGTH:
        raise ValueError(f"At most {RECORDING_URL_LENGTH} characters.")
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValueError("Enter an http:// or https:// URL.") from None
    return value


def clean_external_id(value: Any) -> str:
    """The dialer's call id: 1 to 100 printable characters, compared exactly."""
    if not isinstance(value, str):
        raise InvalidFields({"external_id": "Must be a string."})
    value = value.strip()
    if not 1 <= len(value) <= EXTERNAL_ID_LENGTH:
        raise InvalidFields({"external_id": f"Between 1 and {EXTERNAL_ID_LENGTH} characters."})
    if not value.isprintable():
        raise InvalidFields({"external_id": "Only printable characters."})
    return value


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "call_type": _choice(CallType),
    "duration_seconds": _duration,
    "outcome": _choice(CallOutcome, nullable=True),
    "notes": text_cleaner(NOTES_LENGTH, required=False),
    "called_at": _called_at,
    "recording_url": _recording_url,
}
