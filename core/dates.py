"""IST days and UTC timestamps: the API's date conventions in one place."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

IST = ZoneInfo("Asia/Kolkata")
DEFAULT_WINDOW_DAYS = 30
# Filter days outside these would overflow date arithmetic (a window of 30 days before
# 0001-01-15, the day after 9999-12-31) and mean nothing for a CRM anyway.
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(9998, 12, 31)


def validate_day(day: dt.date) -> None:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(
            f"Must be between {EARLIEST_DAY} and {LATEST_DAY}.", code="out_of_range"
        )


def ist_today() -> dt.date:
    return timezone.now().astimezone(IST).date()


def ist_midnight(day: dt.date) -> dt.datetime:
    """The instant an IST day starts (18:30 UTC the day before)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=IST)


def ist_window(from_date: dt.date | None, to_date: dt.date | None) -> tuple[dt.date, dt.date]:
    """Fill in the defaults: to_date is today in IST; from_date is 30 days before to_date."""
    to_date = to_date or ist_today()
    from_date = from_date or to_date - dt.timedelta(days=DEFAULT_WINDOW_DAYS)
    return from_date, to_date


def ist_range(from_date: dt.date, to_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Half-open [start, end) covering from_date's IST midnight through the whole of to_date."""
    return ist_midnight(from_date), ist_midnight(to_date + dt.timedelta(days=1))


def iso_utc(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, to the second, as the API specification writes timestamps.
    (Not strftime: its %Y does not zero-pad years before 1000 on every platform.)"""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
