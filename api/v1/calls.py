"""/api/v1/call-logs: list, read, log and delete calls."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from calls import tally as call_tally
from calls.listing import CallLogFilter
from calls.models import CallLog
from calls.representation import API_FIELDS, call_to_api
from calls.rules import (
    DURATION_TOO_LONG,
    EXTERNAL_ID_LENGTH,
    MAX_DURATION_SECONDS,
    NOTES_LENGTH,
    RECORDING_URL_LENGTH,
    CallOutcome,
)
from calls.services import call_delete, call_record, call_update

from ..schema import RATE_LIMIT_HEADERS, DeletedSerializer, envelope, error_responses
from ..serializers import FieldsBuiltOnce, StrictJSONSerializer, TimestampField
from ..viewsets import APIViewSet, DestroyMixin, RetrieveMixin, require_changes


class CallLogSerializer(FieldsBuiltOnce, StrictJSONSerializer, serializers.ModelSerializer):
    lead_id = serializers.UUIDField(
        required=False,
        help_text="UUID of the lead this call belongs to. Send this or `phone`, not both.",
    )
    phone = serializers.CharField(
        required=False,
        write_only=True,
        max_length=32,
        help_text="Instead of `lead_id`: the caller's number, in any format. The call goes to "
        "the lead with that number; when there is none, a lead is created for it (name = the "
        "number, source `Phone call`).",
    )
    external_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=EXTERNAL_ID_LENGTH,
        help_text="The dialer's own id for this call (1–100 characters, unique). Posting an "
        "existing one updates that call with the fields sent and answers 200.",
    )
    recording_url = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=RECORDING_URL_LENGTH,
        help_text="Where the recording is: an http:// or https:// URL.",
    )
    notes = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=NOTES_LENGTH
    )
    duration_seconds = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DURATION_SECONDS,
        error_messages={"max_value": DURATION_TOO_LONG},
        help_text="Call duration in seconds, at most 86,400 (a day); 0 = missed.",
    )
    called_at = TimestampField(
        required=False,
        help_text="When the call happened (ISO 8601; UTC if no offset is given). Default: now.",
    )

    class Meta:
        model = CallLog
        fields = [*API_FIELDS, "phone"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "outcome": {
                "help_text": "Default Completed, or Missed when duration_seconds is 0.",
            },
        }

    def to_representation(self, call: CallLog) -> dict:
        return call_to_api(call)


PATCHABLE = ("outcome", "duration_seconds", "notes", "called_at", "recording_url")


class CallLogPatchSerializer(StrictJSONSerializer):
    """What a PATCH may change (call_type and the lead stay as logged)."""

    outcome = serializers.ChoiceField(choices=CallOutcome.choices, required=False)
    duration_seconds = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DURATION_SECONDS,
        error_messages={"max_value": DURATION_TOO_LONG},
        required=False,
        help_text="Call duration in seconds, at most 86,400 (a day).",
    )
    notes = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=NOTES_LENGTH
    )
    called_at = TimestampField(required=False)
    recording_url = serializers.CharField(
        required=False, allow_null=True, max_length=RECORDING_URL_LENGTH
    )


CallLogEnvelope = envelope(CallLogSerializer, "CallLogEnvelope")


@extend_schema_view(
    list=extend_schema(
        summary="List call logs",
        description="Newest first (called_at, then id). Defaults to the last 30 days, 50 per page.",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: CallLogSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Get a call log",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: CallLogEnvelope, **error_responses(401, 403, 404, 429)},
    ),
    create=extend_schema(
        summary="Log a call",
        description=(
            "Against a lead (`lead_id`) or a phone number (`phone`: the lead with that number, "
            "or a new lead made for it in the same transaction), exactly one of the two. Use "
            "duration_seconds 0 for a missed call (outcome then defaults to Missed). With an "
            "`external_id` (the dialer's own call id), a second POST with the same id updates "
            "that call with the fields it sends and answers **200** (201 only when created); "
            "naming another lead, or a call the key cannot see, is a 409."
        ),
        parameters=RATE_LIMIT_HEADERS,
        examples=[
            OpenApiExample(
                "A missed call from the dialer",
                request_only=True,
                value={
                    "lead_id": "3f1c2a9e-8d4b-4c6f-9a1e-2b7d5e8f0a13",
                    "call_type": "Inbound",
                    "duration_seconds": 0,
                    "called_at": "2026-04-22T10:30:00Z",
                },
            ),
            OpenApiExample(
                "A dialer's call, by number, with its own id",
                request_only=True,
                value={
                    "phone": "+91 98765 43210",
                    "external_id": "CA7f3e19",
                    "call_type": "Inbound",
                    "duration_seconds": 184,
                    "outcome": "Completed",
                    "recording_url": "https://recordings.example.com/CA7f3e19.mp3",
                },
            ),
            OpenApiExample(
                "A completed outbound call",
                request_only=True,
                value={
                    "lead_id": "3f1c2a9e-8d4b-4c6f-9a1e-2b7d5e8f0a13",
                    "call_type": "Outbound",
                    "duration_seconds": 312,
                    "outcome": "Completed",
                    "notes": "Sent the quotation; follow up Friday.",
                },
            ),
        ],
        responses={
            201: OpenApiResponse(CallLogEnvelope, description="The call was logged."),
            200: OpenApiResponse(
                CallLogEnvelope, description="The call with this external_id was updated."
            ),
            **error_responses(400, 401, 403, 404, 409, 413, 415, 429),
        },
    ),
    destroy=extend_schema(
        summary="Delete a call log",
        parameters=RATE_LIMIT_HEADERS,
        responses={
            200: envelope(DeletedSerializer, "CallLogDeleted"),
            **error_responses(401, 403, 404, 429),
        },
    ),
)
@extend_schema_view(
    partial_update=extend_schema(
        summary="Update a call log",
        description=(
            "Any of `outcome`, `duration_seconds`, `notes`, `called_at`, `recording_url`; any "
            "other field, or an empty body, is a 400. Only the fields sent change: the outcome "
            "is never re-derived from a new duration (a call logged as Missed stays Missed "
            "until an `outcome` is sent)."
        ),
        parameters=RATE_LIMIT_HEADERS,
        request=CallLogPatchSerializer,
        examples=[
            OpenApiExample(
                "The call ended",
                request_only=True,
                value={"duration_seconds": 95, "outcome": "Completed"},
            )
        ],
        responses={200: CallLogEnvelope, **error_responses(400, 401, 403, 404, 413, 415, 429)},
    ),
)
class CallLogViewSet(mixins.ListModelMixin, RetrieveMixin, DestroyMixin, APIViewSet):
    queryset = CallLog.objects.all()
    serializer_class = CallLogSerializer
    filterset_class = CallLogFilter
    cursor_paging = True  # `cursor` pages by keyset (api.pagination)

    def list_total(self, queryset) -> int:
        """The list's total: a sum of the call counts (calls.tally) when every filter given is
        one of their dimensions, else a count of the matching calls (`lead_id`: its index)."""
        filters = CallLogFilter.validated(self.request.query_params)
        if call_tally.counts_filters(filters):
            return call_tally.total(self.request.user, filters)
        return queryset.count()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        result = call_record(
            actor=self.actor,
            lead_id=fields.pop("lead_id", None),
            phone=fields.pop("phone", None),
            external_id=fields.pop("external_id", None),
            fields=fields,
        )
        created = result.created
        return Response(
            {"data": self.get_serializer(result.call).data},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": f"/api/v1/call-logs/{result.call.pk}"} if created else None,
        )

    def partial_update(self, request, *args, **kwargs):
        """PATCH: outcome, duration_seconds, notes, called_at, recording_url."""
        call = self.get_object()
        data = request.data
        require_changes(data, PATCHABLE)
        serializer = CallLogPatchSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        call_update(actor=self.actor, call=call, fields=serializer.validated_data)
        call.refresh_from_db()
        return Response({"data": self.get_serializer(call).data})

    def perform_destroy(self, call):
        call_delete(actor=self.actor, call=call)
