"""POST /api/v1/leads/bulk: up to 100 leads in one request, each created or merged on its own
(one refused lead does not undo the others), answered item by item in input order."""

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from events.services import Actor
from leads.services import MergePolicy, lead_upsert

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
    """Each item validated and upserted in turn, in its own transaction; a later item matching
    an earlier one merges into it (the earlier one is committed by then)."""
    results, summary = [], {"created": 0, "merged": 0, "failed": 0}
    for index, item in enumerate(items):
        serializer = lead_serializer(data=item)
        try:
            raise_on_nul(item)  # the parser left the items to be checked one by one
            serializer.is_valid(raise_exception=True)
            outcome = lead_upsert(actor=actor, fields=serializer.validated_data, merge=merge)
        except Exception as exc:
            refused = client_error(exc)
            if refused is None:
                raise
            status, body = refused
            results.append({"index": index, "status": status, **body})
            summary["failed"] += 1
            continue
        results.append({
            "index": index,
            "status": 201 if outcome.created else 200,
            "data": lead_serializer(outcome.lead).data,
        })  # fmt: skip
        summary["created" if outcome.created else "merged"] += 1
    return {"data": results, "summary": summary}


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
