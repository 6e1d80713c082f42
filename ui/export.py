"""Leads as CSV, safe to open in a spreadsheet: each row is the lead's API representation
(leads.representation), with times in IST and tags as one cell."""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from core.dates import IST
from leads.models import Lead
from leads.representation import lead_to_api

# (field of the API representation, column header), in the order of the columns.
COLUMNS = [
    ("id", "ID"), ("name", "Name"), ("phone", "Phone"), ("email", "Email"),
    ("company", "Company"), ("city", "City"), ("source", "Source"), ("status", "Status"),
    ("stage", "Stage"), ("stage_id", "Stage ID"), ("pipeline_id", "Pipeline ID"),
    ("priority", "Priority"), ("tags", "Tags"), ("deal_value", "Deal value (INR)"),
    ("assigned_to", "Assigned to"), ("notes", "Notes"), ("created_at", "Created (IST)"),
    ("updated_at", "Updated (IST)"),
]  # fmt: skip
HEADER = [header for _, header in COLUMNS]
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200
# U+2060 WORD JOINER: zero width, and a Unicode "default ignorable" character, so no font or
# spreadsheet draws it.
WORD_JOINER = "\u2060"


def neutralize(value) -> str:
    """The cell's text, with a leading quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def neutralize_phone(value) -> str:
    """A phone as written ("+91 98765 43210"), never read as a formula.

    The apostrophe of `neutralize` is typed-input syntax: Excel hides it only when a person
    types it, and shows it when it comes from a CSV ('+91…). A phone starting with "+" (or "-")
    gets an invisible word joiner in front instead: the cell no longer starts with a formula
    character, so every spreadsheet keeps it as text, and it reads exactly as written. This is
    safe for phones alone: leads.rules only admits digits, spaces and + ( ) . - / in one, from
    which no formula can call a function or reference a cell, so nothing is left to neutralize
    but the look; every other column keeps the apostrophe."""
    text = "" if value is None else str(value)
    return f"{WORD_JOINER}{text}" if text.startswith(FORMULA_STARTS) else text


# How each column's cells are made safe for a spreadsheet, in the order of COLUMNS.
_CLEANERS = [neutralize_phone if field == "phone" else neutralize for field, _ in COLUMNS]


class _Echo:
    """csv.writer wants a file; this one hands each formatted line back."""

    def write(self, line: str) -> str:
        return line


def leads_csv(leads: Iterable[Lead]) -> Iterator[str]:
    """The CSV, in chunks of lines. Starts with a byte-order mark so that Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    chunk = ["\ufeff", writer.writerow(HEADER)]
    for lead in leads:
        cells = zip(_CLEANERS, _cells(lead), strict=True)
        chunk.append(writer.writerow([clean(cell) for clean, cell in cells]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def _cells(lead: Lead) -> list:
    shown = lead_to_api(lead)
    shown["tags"] = ", ".join(shown["tags"])
    if shown["deal_value"] is not None:
        shown["deal_value"] = f"{shown['deal_value']:.2f}"
    shown["created_at"], shown["updated_at"] = _ist(shown["created_at"]), _ist(shown["updated_at"])
    return [shown[field] for field, _ in COLUMNS]


def _ist(iso_utc: str) -> str:
    moment = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
