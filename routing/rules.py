"""What an assignment rule may hold, which rule a new lead's source matches, and whose turn it
is: the one place these are decided. routing.services calls them on whatever arrives (the
settings page, the Django admin, commands)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from core.errors import clean_fields, text_cleaner

NAME_MAX_LENGTH = 100
# A lead's source is at most this long (leads.rules.MAX_LENGTHS["source"]; leads sits above
# this app, so the number is repeated here rather than imported).
SOURCE_MAX_LENGTH = 100
MAX_REPS = 200
RULE_FIELDS = ("name", "source", "active")


def _source(value: Any) -> str:
    """A lead source, as leads.rules cleans one (trimmed); blank means any source."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("Must be a string.")
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    value = value.strip()
    if len(value) > SOURCE_MAX_LENGTH:
        raise ValueError(f"At most {SOURCE_MAX_LENGTH} characters.")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": text_cleaner(NAME_MAX_LENGTH, required=True, one_line=True, blank="Name the rule."),
    "source": _source,
    "active": _boolean,
}


def clean_rule_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The rule fields present in `fields`, normalized; InvalidFields for the bad ones."""
    return clean_fields(fields, _CLEANERS, RULE_FIELDS)


def source_matches(rule_source: str, lead_source: str | None) -> bool:
    """A rule's source matches a lead's ignoring case and surrounding space ("ivr" is "IVR");
    a rule without one matches every lead."""
    if not rule_source:
        return True
    return (lead_source or "").strip().casefold() == rule_source.strip().casefold()


def source_label(rule_source: str) -> str:
    return rule_source or "Any source"


class Member(Protocol):
    pk: Any
    last_turn: int


M = TypeVar("M", bound=Member)


def next_member(members: Sequence[M]) -> M:
    """Whose turn it is among a rule's active reps: the one who waited longest (lowest last
    turn), ties going to who joined first."""
    return min(members, key=lambda member: (member.last_turn, member.pk))


def turn_after(members: Iterable[Member]) -> int:
    """The turn the rep who gets a lead takes: after every other rep's."""
    return max(member.last_turn for member in members) + 1
