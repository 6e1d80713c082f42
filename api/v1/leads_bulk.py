"""POST /api/v1/leads/bulk: up to 100 leads in one request, each created or merged on its own
(one refused lead does not undo the others), answered item by item in input order."""

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from events.services import Actor
from leads.services import MergePolicy, lead_upsert_many

from ..errors import client_error
from ..renderers import raise_on_nul
from ..serializers import StrictJSONSerializer

MAX_ITEMS = 100


@extend_schema_field({"type": "object", "additionalProperties": True})
class LeadItemField(serializers.JSONField):
    """One lead body, as POST /api/v1/leads takes it (validated item by item, not here)."""


class BulkRequestSerializer(StrictJSONSerializer):
    leads = serializers.ListField(
        child=LeadItemField(allow_null=True),  # a null item fails on its own, like "x" does
        min_length=1,
        max_length=MAX_ITEMS,
        help_text=f"1 to {MAX_ITEMS} lead bodies, each as POST /api/v1/leads takes it.",
    )


def bulk_upsert(actor: Actor, items: list, merge: MergePolicy, lead_serializer) -> dict:
    """Each item validated as POST /api/v1/leads validates a body (one serializer does them
    all: building one per item is most of the cost of a small item), then upserted by
    leads.services.lead_upsert_many, each on its own."""
    serializer = lead_serializer()
    valid, results = {}, {}
    for index, item in enumerate(items):
        try:
            raise_on_nul(item)  # the parser left the items to be checked one by one
            valid[index] = serializer.run_validation(item)
        except Exception as exc:
            results[index] = _refused(index, exc)
    for index, outcome in lead_upsert_many(actor=actor, items=valid, merge=merge).items():
        if isinstance(outcome, Exception):
            results[index] = _refused(index, outcome)
        else:
            results[index] = {
                "index": index,
                "status": 201 if outcome.created else 200,
                "data": serializer.to_representation(outcome.lead),
            }
    data = [results[index] for index in range(len(items))]
    summary = {
        "created": sum(1 for item in data if item["status"] == 201),
        "merged": sum(1 for item in data if item["status"] == 200),
    }
    summary["failed"] = len(data) - summary["created"] - summary["merged"]
    return {"data": data, "summary": summary}


def _refused(index: int, exc: Exception) -> dict:
    refused = client_error(exc)
    if refused is None:
        raise exc
    status, body = refused
    return {"index": index, "status": status, **body}


def response_serializer(lead_serializer, error_serializer):
    """The response's shape, for the OpenAPI document."""
    items = inline_serializer(
        name="BulkLeadResult",
        fields={
            "index": serializers.IntegerField(),
            "status": serializers.IntegerField(help_text="201 created, 200 merged, or the error's"),
            "data": lead_serializer(required=False),
            "error": error_serializer(required=False),
        },
        many=True,
    )
    summary = inline_serializer(
        name="BulkLeadSummary",
        fields={name: serializers.IntegerField() for name in ("created", "merged", "failed")},
    )
    return inline_serializer(name="BulkLeadResponse", fields={"data": items, "summary": summary})
