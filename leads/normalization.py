"""Dedup keys for leads: pure functions, no database.

Phones are compared in E.164 form, parsed with the `phonenumbers` library; numbers written
without a country code are read in settings.DEFAULT_PHONE_REGION (so with region IN,
`+91 98765 43210`, `098765-43210` and `9876543210` are one number). Emails are compared
case-insensitively.
"""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return `raw` in E.164 (`+919876543210`), or raise InvalidPhone."""
    try:
        number = phonenumbers.parse(raw, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("Enter a phone number, e.g. +91 98765 43210.") from exc
    # "Possible" checks the length for the country; "valid" would also reject numbers in
    # ranges not yet allocated, which turns away real callers when the metadata lags.
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone("This is not a possible phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(raw: str) -> None:
    """A Django validator (forms, the admin and DRF serializers all take these)."""
    try:
        normalize_phone(raw)
    except InvalidPhone as exc:
        raise ValidationError(str(exc), code="invalid_phone") from None


def normalize_email(raw: str) -> str:
    return raw.strip().lower()
