"""Leads as CSV, safe to open in a spreadsheet."""

import csv
from collections.abc import Iterable, Iterator

from crm.dates import IST
from leads.models import Lead

HEADER = [
    "ID", "Name", "Phone", "Phone (E.164)", "Email", "Company", "City", "Source", "Status",
    "Priority", "Tags", "Deal value (INR)", "Assigned to", "Notes", "Created (IST)",
    "Updated (IST)",
]  # fmt: skip
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200


def neutralize(value) -> str:
    """The cell's text, with a leading quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer wants a file; this one hands each formatted line back."""

    def write(self, line: str) -> str:
        return line


def leads_csv(leads: Iterable[Lead]) -> Iterator[str]:
    """The CSV, in chunks of lines. Starts with a byte-order mark so that Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    chunk = ["\ufeff", writer.writerow(HEADER)]
    for lead in leads:
        chunk.append(writer.writerow([neutralize(cell) for cell in _cells(lead)]))
        if len(chunk) >= ROWS_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def _cells(lead: Lead) -> list:
    return [
        lead.id, lead.name, lead.phone, lead.phone_e164, lead.email, lead.company, lead.city,
        lead.source, lead.status, lead.priority, ", ".join(lead.tags), lead.deal_value,
        lead.assigned_to.email if lead.assigned_to_id else None, lead.notes,
        _ist(lead.created_at), _ist(lead.updated_at),
    ]  # fmt: skip


def _ist(moment) -> str:
    return moment.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
