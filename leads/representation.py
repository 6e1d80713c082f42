"""A lead as API v1 shows it: the one function that turns a lead into its representation, used
by the list, the detail, the CSV export and the event stream (and so, webhook payloads).

Its ids and timestamps are UUIDs and UTC datetimes: core.encoding writes them as text, in C
(the API's renderer), or `lead_to_api` does for what stores or compares the representation."""

import uuid
from collections.abc import Mapping
from typing import Any

from core.encoding import plain, utc

from .models import Lead

# The representation's fields, in order (the spec's Lead schema).
API_FIELDS = (
    "id", "name", "email", "phone", "company", "city", "source", "status", "pipeline_id",
    "stage_id", "stage", "priority", "tags", "deal_value", "notes", "assigned_to", "created_at",
    "updated_at",
)  # fmt: skip
# The lead's own columns it reads. `assigned_to` comes as the assignee's email, which a row
# carries as `assignee_email` (leads.selectors reads it with a subquery); the stage's name and
# pipeline come as `stage_name` and `pipeline_id` (from the stage).
COLUMNS = (
    "id", "name", "email", "phone", "company", "city", "source", "status", "stage", "priority",
    "tags", "deal_value", "notes", "created_at", "updated_at",
)  # fmt: skip
EXTRA = ("assignee_email", "stage_name", "pipeline_id")


def represent(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of COLUMNS (the stage as `stage_id`) plus EXTRA as the API's Lead, to be encoded by
    core.encoding. Written out by hand: several times faster than walking a serializer's
    fields, and this runs for every listed lead."""
    deal_value = row["deal_value"]
    return {
        "id": _uuid(row["id"]),
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "company": row["company"],
        "city": row["city"],
        "source": row["source"],
        "status": row["status"],
        "pipeline_id": _uuid(row["pipeline_id"]),
        "stage_id": _uuid(row["stage_id"]),
        "stage": row["stage_name"],
        "priority": row["priority"],
        "tags": row["tags"],
        "deal_value": float(deal_value) if deal_value is not None else None,
        "notes": row["notes"],
        "assigned_to": row["assignee_email"],
        "created_at": utc(row["created_at"]),
        "updated_at": utc(row["updated_at"]),
    }


def _uuid(value) -> uuid.UUID:
    # A column read by hand is a UUID on PostgreSQL and 32 hex digits on SQLite.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def lead_row(lead: Lead) -> dict[str, Any]:
    """A lead instance as the row `represent` reads (its assignee and stage must be loaded or
    cheap: select_related("assigned_to", "stage"))."""
    row = {name: getattr(lead, name) for name in COLUMNS if name != "stage"}
    row["stage_id"] = lead.stage_id
    row["assignee_email"] = lead.assigned_to.email if lead.assigned_to_id else None
    stage = lead.stage
    row["stage_name"] = stage.name
    row["pipeline_id"] = stage.pipeline_id
    return row


def lead_to_api(lead: Lead) -> dict[str, Any]:
    """The representation as JSON reads it (ids and timestamps as text): what the event stream
    stores and compares."""
    return plain(represent(lead_row(lead)))
