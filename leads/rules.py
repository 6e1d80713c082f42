"""What a lead's fields may hold: the one place that normalizes and validates them. The lead
services call `clean_lead_fields` on whatever arrives (API, pages, admin, commands); serializers
and forms only turn their input into Python values and show the errors raised here.

Dedup keys: phones are compared in E.164 form, parsed with `phonenumbers`; numbers written
without a country code are read in settings.DEFAULT_PHONE_REGION (with region IN,
`+91 98765 43210`, `098765-43210` and `9876543210` are one number). Emails are compared
case-insensitively.
"""

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from core.errors import ServiceError, clean_fields, text_cleaner
from pipelines.rules import LeadStatus  # a lead's status is its stage's (pipelines.rules)

if TYPE_CHECKING:
    from accounts.models import User


class LeadPriority(models.TextChoices):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


# Fields a caller may set on a lead, in the order forms and the API list them.
EDITABLE_FIELDS = (
    "name", "email", "phone", "company", "city", "source", "status", "priority", "tags",
    "deal_value", "notes", "assigned_to",
)  # fmt: skip
# Where in which pipeline a lead goes (optional on every write; leads.services places it).
PLACEMENT_FIELDS = ("pipeline_id", "stage_id")
# What a lead's events record the previous and new values of.
TRACKED_FIELDS = (*EDITABLE_FIELDS, "pipeline_id", "stage_id", "stage")
DEFAULT_SOURCE = "API"
MAX_LENGTHS = {"name": 200, "email": 254, "phone": 32, "company": 200, "city": 100, "source": 100}
# What a call or a task on a lead the actor cannot see is told (the API's 404, the pages' error).
LEAD_NOT_VISIBLE = (
    "No lead with this id is visible to you: it does not exist (any more), or it is assigned "
    "to someone else."
)
# A lead's notes: a few pages of text (a call's notes hold 5,000 characters, a task's 10,000).
NOTES_MAX_LENGTH = 10_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 50
DEAL_VALUE_DIGITS, DEAL_VALUE_PLACES = 14, 2
# What a written phone number may contain besides digits: +, spaces and the usual separators.
# Letters are refused: phonenumbers would read "4321O" as a keypad word and the dedup key would
# silently be another number.
_PHONE_CHARACTERS = re.compile(r"[0-9+\s().\-/]+")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return `raw` in E.164 (`+919876543210`), or raise InvalidPhone."""
    if not _PHONE_CHARACTERS.fullmatch(raw.strip()):
        raise InvalidPhone("Enter a phone number with digits only, e.g. +91 98765 43210.")
    try:
        number = phonenumbers.parse(raw, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("Enter a phone number, e.g. +91 98765 43210.") from exc
    # "Possible" checks the length for the country; "valid" would also reject numbers in
    # ranges not yet allocated, which turns away real callers when the metadata lags.
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone("This is not a possible phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


# --- Lookups: what a lead is found by -------------------------------------------------------

# Separates the parts of the derived lookup columns; no tag or search word can contain it.
SEPARATOR = "\n"
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/+]")


def tag_key(tag: str) -> str:
    """What tags are compared by: case and surrounding space do not matter."""
    return tag.strip().casefold()


def tag_keys(tags: Iterable[str]) -> str:
    """A lead's tags as one text column that a LIKE (and a trigram index) can search:
    `"\nvip\nhot lead\n"` (each key between separators; empty: no tags)."""
    keys = [tag_key(tag) for tag in tags]
    return f"{SEPARATOR}{SEPARATOR.join(keys)}{SEPARATOR}" if keys else ""


def search_text(*, name, email, company, phone, phone_e164) -> str:
    """Name, email, company and phone, lowercased, as one column the text search (`q`) reads;
    the number's digits are in it too, so any way of writing a number finds it."""
    digits = phone_e164.lstrip("+") if phone_e164 else None
    parts = [name, email, company, phone, digits]
    return SEPARATOR.join(part.casefold() for part in parts if part)


def name_key(name: str) -> str:
    """What names sort by: lowercased, so "alice" sorts with "Alice", before "bob", on every
    database (SQLite compares bytes; PostgreSQL's order depends on the database's collation).
    lower(), not casefold(): at most one more character per character ("İ"), so the key fits
    a column of twice the name's length."""
    return name.lower()


def search_terms(query: str) -> list[str]:
    """What a text search looks for, each of which must be found. A query that reads as a
    phone number is one term, the number's digits (written with a country code or without);
    anything else, each word (so double spaces and "Surname Firstname" work)."""
    digits = _PHONE_PUNCTUATION.sub("", query)
    if len(digits) >= 4 and digits.isdigit() and digits.isascii():
        return [digits]
    return [word.casefold() for word in query.split()]


def phone_digits(query: str) -> str | None:
    """The E.164 digits of a query that is a whole phone number, else None."""
    try:
        return normalize_phone(query).lstrip("+")
    except InvalidPhone:
        return None


def replacement_defaults() -> dict[str, Any]:
    """What a full replacement (PUT) gives the fields its body omits: a new lead's defaults.
    (Its place, status included, is reset by leads.services.lead_replace.)"""
    return {
        "email": None, "phone": None, "company": None, "city": None, "deal_value": None,
        "notes": None, "assigned_to": None, "tags": [], "source": DEFAULT_SOURCE,
        "priority": LeadPriority.MEDIUM,
    }  # fmt: skip


def visible_leads(user: "User", prefix: str = "") -> models.Q:
    """Row-level security, as an ORM condition on leads (or, with `prefix`, on what points to a
    lead: `lead__`): admins see every lead, a sales rep the leads assigned to them. The API's
    list applies the same rule in SQL (visible_leads_sql)."""
    if user.is_admin:
        return models.Q()
    return models.Q(**{f"{prefix}assigned_to": user})


def visible_leads_sql(user: "User", alias: str) -> tuple[list[str], list]:
    """visible_leads as SQL conditions on the lead table aliased `alias`."""
    if user.is_admin:
        return [], []
    return [f"{alias}.assigned_to_id = %s"], [user.pk]


def can_see(user: "User", lead) -> bool:
    """visible_leads, for a lead already loaded."""
    return user.is_admin or lead.assigned_to_id == user.pk


def check_contact(phone: str | None, email: str | None) -> None:
    """A lead is reachable: it has a phone or an email (the database checks it too)."""
    if not phone and not email:
        raise ServiceError("Provide a phone or an email (or both).", "phone")


def merge_tags(existing: Iterable[str], new: Iterable[str]) -> list[str]:
    """Union keeping first-seen order; tags differing only in case count as one. A lead has at
    most MAX_TAGS tags, however many merges add to it."""
    merged: list[str] = []
    seen: set[str] = set()
    for tag in [*existing, *new]:
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            merged.append(tag)
    if len(merged) > MAX_TAGS:
        message = f"A lead has at most {MAX_TAGS} tags; this would make {len(merged)}."
        raise ServiceError(message, "tags")
    return merged


def clean_lead_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The editable and placement fields present in `fields`, normalized; every field that
    breaks a rule (InvalidFields). Other fields are dropped."""
    return clean_fields(fields, _CLEANERS)


# --- One cleaner per field: value in, clean value out, ValueError with the message -----------


def _email(value: Any) -> str | None:
    if value == "":
        raise ValueError("Enter a valid email address, or null for none.")
    text = text_cleaner(MAX_LENGTHS["email"], required=False)(value)
    if text is not None:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError("Enter a valid email address.") from None
    return text


def _phone(value: Any) -> str | None:
    text = text_cleaner(MAX_LENGTHS["phone"], required=False)(value)  # "" means no phone
    if text is not None:
        try:
            normalize_phone(text)
        except InvalidPhone as error:
            raise ValueError(str(error)) from None
    return text


def _choice(choices) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        if value not in choices.values:
            allowed = ", ".join(choices.values)
            raise ValueError(f"“{value}” is not one of: {allowed}.")
        return value

    return clean


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ValueError("Tags are a list of strings.")
    tags = []
    for tag in value:
        if not isinstance(tag, str):
            raise ValueError("Each tag must be a string.")
        if "\x00" in tag:
            raise ValueError("A tag must not contain NUL characters.")
        if not tag.isprintable():
            raise ValueError("A tag is one line of text (no tabs or line breaks).")
        tag = tag.strip()
        if not tag:
            raise ValueError("A tag must not be blank.")
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"Each tag is at most {MAX_TAG_LENGTH} characters.")
        tags.append(tag)
    if len(value) > MAX_TAGS:
        raise ValueError(f"At most {MAX_TAGS} tags.")
    return merge_tags([], tags)


def _deal_value(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("Must be a number.")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("Must be a number.") from None
    if not number.is_finite():
        raise ValueError("Must be a finite number.")
    if number < 0:
        raise ValueError("Must be 0 or more.")
    # The size first: quantizing 1e30 to cents needs more digits than Decimal's context holds.
    if number >= Decimal(10) ** (DEAL_VALUE_DIGITS - DEAL_VALUE_PLACES):
        raise ValueError(
            f"At most {DEAL_VALUE_DIGITS - DEAL_VALUE_PLACES} digits before the point."
        )
    if number != number.quantize(Decimal(1).scaleb(-DEAL_VALUE_PLACES)):
        raise ValueError(f"At most {DEAL_VALUE_PLACES} decimal places.")
    return number.quantize(Decimal(1).scaleb(-DEAL_VALUE_PLACES))


def _assignee(value: Any) -> "User | None":
    if value is not None and not isinstance(value, get_user_model()):
        raise ValueError("Name the assignee by their email.")
    return value


def _id(value: Any) -> uuid.UUID:
    if value is None:
        raise ValueError("This field may not be null.")
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValueError("Must be an id (a UUID).") from None


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": text_cleaner(MAX_LENGTHS["name"], required=True),
    "email": _email,
    "phone": _phone,
    "company": text_cleaner(MAX_LENGTHS["company"], required=False),
    "city": text_cleaner(MAX_LENGTHS["city"], required=False),
    "source": text_cleaner(MAX_LENGTHS["source"], required=True),
    "status": _choice(LeadStatus),
    "priority": _choice(LeadPriority),
    "tags": _tags,
    "deal_value": _deal_value,
    "notes": text_cleaner(NOTES_MAX_LENGTH, required=False),
    "assigned_to": _assignee,
    "pipeline_id": _id,
    "stage_id": _id,
}
