"""/api/v1/webhooks: subscriptions to lead and call-log events (REST Hooks style), their secret,
a test ping, and the delivery log with resend. Rules live in webhooks.services and .rules."""

from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from webhooks.models import Attempt, Message, MessageState, Subscription
from webhooks.representation import message_to_api, subscription_to_api
from webhooks.rules import ALL_EVENTS, DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH, EventType
from webhooks.services import (
    EDITABLE_FIELDS,
    webhook_create,
    webhook_delete,
    webhook_ping,
    webhook_resend,
    webhook_rotate_secret,
    webhook_update,
)

from ..schema import RATE_LIMIT_HEADERS, DeletedSerializer, envelope, error_responses
from ..serializers import StrictJSONSerializer
from ..viewsets import APIViewSet, DestroyMixin, RetrieveMixin, require_changes

EVENT_NAMES = [*EventType.values, ALL_EVENTS]


class WebhookSerializer(StrictJSONSerializer):
    """A subscription as the API reads and writes it (never its secret)."""

    id = serializers.UUIDField(read_only=True)
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="Where events are POSTed: https:// (or http://). Hosts resolving to "
        "loopback, private, link-local, multicast or reserved addresses are refused.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_NAMES),
        allow_empty=False,
        help_text='Event names, or ["*"] for every event.',
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, allow_null=True
    )
    enabled = serializers.BooleanField(
        required=False, help_text="Off: nothing is sent. PATCH true to re-enable."
    )
    disabled_reason = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Why it was disabled (410 Gone, 24 h of failures…).",
    )
    owner = serializers.EmailField(
        read_only=True, help_text="The user it acts as: it hears about leads they can see."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    last_success_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, subscription):
        return subscription_to_api(subscription)


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="`whsec_…`: verify signatures with it. Shown only in this response.",
    )


class AttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.IntegerField(allow_null=True, help_text="HTTP status, or null.")
    error = serializers.CharField(allow_null=True)
    duration_ms = serializers.IntegerField()
    response = serializers.CharField(help_text="The first 1 KB of the response body.")


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    webhook_id = serializers.CharField(help_text="The `webhook-id` header of every attempt.")
    type = serializers.CharField()
    state = serializers.ChoiceField(choices=MessageState.choices)
    created_at = serializers.DateTimeField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField(allow_null=True)
    attempts = AttemptSerializer(many=True)


WebhookEnvelope = envelope(WebhookSerializer, "WebhookEnvelope")
WebhookSecretEnvelope = envelope(WebhookWithSecretSerializer, "WebhookSecretEnvelope")
PingEnvelope = inline_serializer(
    name="WebhookPingEnvelope",
    fields={
        "data": inline_serializer(
            name="WebhookPing", fields={"webhook_id": serializers.CharField()}
        )
    },
)
DeliveryEnvelope = envelope(DeliverySerializer, "WebhookDeliveryEnvelope")

EXAMPLE = {
    "url": "https://hooks.example.com/crm",
    "events": ["lead.created", "lead.updated"],
    "description": "Sync to the warehouse",
}


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions",
        description="Admins' keys list every subscription; a sales rep's key lists the rep's own.",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: WebhookSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Get a webhook subscription",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: WebhookEnvelope, **error_responses(401, 403, 404, 429)},
    ),
    create=extend_schema(
        summary="Subscribe a URL to events",
        description=(
            "Answers **201** with the subscription and its `secret`, shown only here and by "
            "rotate-secret. Each event is POSTed as JSON with Standard Webhooks headers "
            "(`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried with backoff "
            "until a 2xx; a 410 answer disables the subscription. The subscription acts as "
            "the key's user: it hears only about leads that user can see."
        ),
        parameters=RATE_LIMIT_HEADERS,
        request=WebhookSerializer,
        examples=[OpenApiExample("Lead events to a warehouse", request_only=True, value=EXAMPLE)],
        responses={
            201: WebhookSecretEnvelope,
            **error_responses(400, 401, 403, 413, 415, 429),
        },
    ),
    partial_update=extend_schema(
        summary="Update a webhook subscription",
        description="Any of `url`, `events`, `description`, `enabled` (true re-enables one "
        "that was disabled). Anything else, or an empty body, is a 400.",
        parameters=RATE_LIMIT_HEADERS,
        request=WebhookSerializer(partial=True),
        examples=[OpenApiExample("Re-enable", request_only=True, value={"enabled": True})],
        responses={200: WebhookEnvelope, **error_responses(400, 401, 403, 404, 413, 415, 429)},
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription",
        description="With its delivery log; nothing more is sent.",
        parameters=RATE_LIMIT_HEADERS,
        responses={
            200: envelope(DeletedSerializer, "WebhookDeleted"),
            **error_responses(401, 403, 404, 429),
        },
    ),
)
class WebhookViewSet(mixins.ListModelMixin, RetrieveMixin, DestroyMixin, APIViewSet):
    queryset = Subscription.objects.select_related("owner")
    serializer_class = WebhookSerializer
    lookup_value_converter = "uuid"

    def create(self, request, *args, **kwargs):
        data = self._body(request)
        for name in data:
            if name not in ("url", "events", "description"):
                raise exceptions.ValidationError({name: "Unknown field."})
        serializer = WebhookSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        created = webhook_create(
            actor=self.actor,
            url=data["url"],
            events=data["events"],
            description=data.get("description") or "",
        )
        return Response(
            {"data": {**subscription_to_api(created.subscription), "secret": created.secret}},
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/webhooks/{created.subscription.pk}"},
        )

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = self._body(request)
        require_changes(data, EDITABLE_FIELDS)
        WebhookSerializer(data=data, partial=True).is_valid(raise_exception=True)
        subscription = webhook_update(actor=self.actor, subscription=subscription, fields=data)
        return Response({"data": subscription_to_api(subscription)})

    def perform_destroy(self, subscription):
        webhook_delete(actor=self.actor, subscription=subscription)

    @extend_schema(
        summary="Rotate the signing secret",
        description="Answers the new `secret`. For 24 hours every delivery is signed with both "
        "the old and the new secret (two `v1,` signatures), so receivers can switch over.",
        request=None,
        parameters=RATE_LIMIT_HEADERS,
        responses={200: WebhookSecretEnvelope, **error_responses(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, *args, **kwargs):
        rotated = webhook_rotate_secret(actor=self.actor, subscription=self.get_object())
        return Response(
            {"data": {**subscription_to_api(rotated.subscription), "secret": rotated.secret}}
        )

    @extend_schema(
        summary="Send a test ping",
        description='Queues `{"type": "ping", "timestamp", "data": {"subscription_id"}}` to '
        "this endpoint only; answers 202 with its `webhook_id` (see the deliveries). A "
        "disabled subscription is a 409.",
        request=None,
        parameters=RATE_LIMIT_HEADERS,
        responses={202: PingEnvelope, **error_responses(401, 403, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, *args, **kwargs):
        message = webhook_ping(actor=self.actor, subscription=self.get_object())
        return Response({"data": {"webhook_id": message.webhook_id}}, status=202)

    @extend_schema(
        summary="List deliveries",
        description="The messages sent (or being sent) to this subscription, newest first, "
        "each with every attempt.",
        parameters=[
            OpenApiParameter(
                "state", enum=MessageState.values, description="Only deliveries in this state."
            ),
            *RATE_LIMIT_HEADERS,
        ],
        responses={200: DeliverySerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, *args, **kwargs):
        subscription = self.get_object()
        messages = Message.objects.filter(subscription=subscription).prefetch_related(
            Prefetch("attempts", queryset=Attempt.objects.order_by("at", "id"))
        )
        state = request.query_params.get("state")
        if state is not None:
            if state not in MessageState.values:
                raise exceptions.ValidationError(
                    {"state": f"One of {', '.join(MessageState.values)}."}
                )
            messages = messages.filter(state=state)
        page = self.paginate_queryset(messages.order_by("-created_at", "-id"))
        return self.get_paginated_response([message_to_api(message) for message in page])

    @extend_schema(
        summary="Resend a delivery",
        description="Sends the message again, with the same `webhook-id` (receivers "
        "deduplicate on it), from the start of the retry schedule. Answers 202 with the "
        "delivery. A disabled subscription is a 409.",
        request=None,
        parameters=[
            OpenApiParameter("delivery_id", type=str, location=OpenApiParameter.PATH),
            *RATE_LIMIT_HEADERS,
        ],
        responses={202: DeliveryEnvelope, **error_responses(401, 403, 404, 409, 429)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9a-fA-F-]{36})/resend",
    )
    def resend(self, request, *args, delivery_id=None, **kwargs):
        subscription = self.get_object()
        message = get_object_or_404(Message, pk=delivery_id, subscription=subscription)
        message = webhook_resend(actor=self.actor, message=message)
        return Response({"data": message_to_api(message)}, status=202)

    def _body(self, request) -> dict:
        data = request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": "Send a JSON object."})
        return data
