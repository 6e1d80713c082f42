"""/api/v1/leads: list, read, create-or-merge and delete leads."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import User
from leads.listing import LeadFilter
from leads.models import Lead
from leads.representation import API_FIELDS, lead_row, represent
from leads.rules import (
    EDITABLE_FIELDS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    NOTES_MAX_LENGTH,
    PLACEMENT_FIELDS,
)
from leads.selectors import lead_list
from leads.services import (
    MergePolicy,
    lead_add_tags,
    lead_delete,
    lead_remove_tag,
    lead_replace,
    lead_update,
    lead_upsert,
)

from ..schema import (
    RATE_LIMIT_HEADERS,
    DeletedSerializer,
    ErrorDetailSerializer,
    envelope,
    error_responses,
)
from ..serializers import FieldsBuiltOnce, StrictJSONSerializer
from ..viewsets import APIViewSet, DestroyMixin, RetrieveMixin, require_changes
from .leads_bulk import BulkRequestSerializer, bulk_upsert, response_serializer


@extend_schema_field({"type": "string", "format": "email"})
class AssigneeField(serializers.SlugRelatedField):
    """A user named by email (case-insensitive); must exist and be active."""

    default_error_messages = {
        "does_not_exist": _("No active user has the email “{value}”."),
        "invalid": _("Enter the assignee's email address."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", queryset=User.objects.filter(is_active=True), **kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for relations; here "" is not an email, and null says "nobody".
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data.strip().lower())


class TagField(serializers.CharField):
    """A tag must be a JSON string: DRF's CharField would quietly turn 42 into "42"."""

    default_error_messages = {"not_a_string": _("Each tag must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


# Reads a POSTed lead into Python values (only the fields sent end up in validated_data, so a
# merge keeps what the request omits; leads.rules validates them) and renders a lead as the
# spec's Lead schema (leads.representation). (A comment, not a docstring: drf-spectacular would
# publish a docstring as the schema's description.)
class LeadSerializer(FieldsBuiltOnce, StrictJSONSerializer, serializers.ModelSerializer):
    assigned_to = AssigneeField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=TagField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        help_text="Tags are unioned into an existing lead's tags on a merge.",
    )
    deal_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        coerce_to_string=False,
        help_text="Expected value in INR.",
    )
    pipeline_id = serializers.UUIDField(
        required=False,
        help_text="The lead's pipeline. Sent alone: that pipeline's first stage with the "
        "lead's status (or its first stage). Default for a new lead: the default pipeline.",
    )
    stage_id = serializers.UUIDField(
        required=False,
        help_text="The lead's stage; the lead's status becomes the stage's. A stage of another "
        "pipeline than `pipeline_id`, or whose status disagrees with `status`, is a 400.",
    )
    stage = serializers.CharField(read_only=True, help_text="The stage's name.")

    class Meta:
        model = Lead
        fields = API_FIELDS
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            # "" is not an email address: send null (or leave the field out) for none.
            "email": {"help_text": "Required if phone is not provided.", "allow_blank": False},
            "phone": {
                "help_text": "Required if email is not provided. Any common format; numbers "
                "without a country code are read in the server's default region."
            },
            "source": {"help_text": "Lead source label, e.g. IVR, Website, Facebook Ads."},
            "status": {
                "help_text": "Default New for a new lead. Setting it moves the lead to the first "
                "stage of its pipeline with this status (400 if there is none); a lead's status "
                "is always its stage's."
            },
            "priority": {"help_text": "Default Medium for a new lead."},
            "notes": {"max_length": NOTES_MAX_LENGTH},
        }

    def to_representation(self, lead: Lead | dict) -> dict:
        return represent(lead if isinstance(lead, dict) else lead_row(lead))


class PatchedLeadSerializer(LeadSerializer):
    """(The OpenAPI document's name for a PATCH body: every field optional.)"""

    class Meta(LeadSerializer.Meta):
        extra_kwargs = {
            **LeadSerializer.Meta.extra_kwargs,
            "name": {"required": False},
        }


class TagsSerializer(StrictJSONSerializer):
    tags = serializers.ListField(
        child=TagField(max_length=MAX_TAG_LENGTH),
        min_length=1,
        max_length=MAX_TAGS,
        help_text="Added to the lead's tags; one equal to a tag it has (ignoring case) is skipped.",
    )


LeadEnvelope = envelope(LeadSerializer, "LeadEnvelope")
MERGE_PARAMETER = OpenApiParameter(
    "merge",
    str,
    OpenApiParameter.QUERY,
    enum=[policy.value for policy in MergePolicy],
    description=(
        "What a lead with the same phone or email becomes: `update` (default: the fields sent "
        "overwrite, tags are added), `fill_empty` (only its empty fields are filled, tags are "
        "added, `notes` are added to its timeline as a note; source, status and priority never "
        "change) or `keep` (nothing changes; 200 with the existing lead)."
    ),
)


@extend_schema_view(
    list=extend_schema(
        summary="List leads",
        description="Newest first (created_at, then id). Default: the last 30 days, 50 per page.",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: LeadSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Get a lead",
        description="A lead the key's user may see; any other id is a 404.",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: LeadEnvelope, **error_responses(401, 403, 404, 429)},
    ),
    create=extend_schema(
        summary="Create or merge a lead",
        description=(
            "`name` plus `phone` or `email` is the minimum. If a lead with the same phone "
            "(compared in E.164) or email (case-insensitive) exists, the request is merged into "
            "it and the answer is **200** instead of **201**: fields sent overwrite, fields "
            "omitted keep their values, tags are unioned. When the phone matches one lead and the "
            "email another, the phone match is updated and the other lead keeps its email."
        ),
        parameters=[*RATE_LIMIT_HEADERS, MERGE_PARAMETER],
        examples=[
            OpenApiExample(
                "Push a caller from the IVR",
                request_only=True,
                value={
                    "name": "Caller 98765 43210",
                    "phone": "+91 98765 43210",
                    "source": "IVR",
                    "priority": "High",
                    "tags": ["ivr"],
                },
            ),
            OpenApiExample(
                "A web form lead",
                request_only=True,
                value={
                    "name": "Priya Sharma",
                    "email": "priya@example.com",
                    "phone": "09876501234",
                    "company": "Sunrise Realty",
                    "city": "Pune",
                    "source": "Website",
                    "tags": ["site-visit"],
                    "deal_value": 450000,
                    "notes": "2BHK, budget 45L",
                },
            ),
        ],
        responses={
            201: OpenApiResponse(LeadEnvelope, description="A new lead was created."),
            200: OpenApiResponse(LeadEnvelope, description="Merged into an existing lead."),
            **error_responses(400, 401, 403, 409, 413, 415, 429),
        },
    ),
    destroy=extend_schema(
        summary="Delete a lead",
        description="Permanent: the lead's call logs and timeline go with it.",
        parameters=RATE_LIMIT_HEADERS,
        responses={
            200: envelope(DeletedSerializer, "LeadDeleted"),
            **error_responses(401, 403, 404, 429),
        },
    ),
    partial_update=extend_schema(
        summary="Update a lead",
        description=(
            "Send any of the editable fields; only those change. `null` clears a field that may "
            "be empty (not `name`, `source`, `status`, `priority` or `tags`); `tags` replaces "
            'the lead\'s tags. A lead keeps a phone or an email (400, `field: "phone"`). A '
            "phone or email another lead has is a **409** naming it: nothing is merged. An "
            "empty body, or a field that cannot change, is a 400. Answers the lead as `GET` "
            "would."
        ),
        parameters=RATE_LIMIT_HEADERS,
        request=PatchedLeadSerializer,
        examples=[
            OpenApiExample(
                "Qualify a lead and set its value",
                request_only=True,
                value={"status": "Qualified", "deal_value": 450000, "tags": ["site-visit"]},
            ),
        ],
        responses={200: LeadEnvelope, **error_responses(400, 401, 403, 404, 409, 413, 415, 429)},
    ),
    update=extend_schema(
        summary="Replace a lead",
        description=(
            "The whole lead, as on create (`name` and a phone or email required); fields the "
            "body omits go back to their defaults: `null`, `[]`, source `API`, priority "
            "`Medium`, and `assigned_to` as a new lead from this key would be. Unless the body "
            "sends a `status` or a `stage_id`, the lead goes back to the `New` stage of its "
            "pipeline (of `pipeline_id`, when sent), or to that pipeline's first stage."
        ),
        parameters=RATE_LIMIT_HEADERS,
        responses={200: LeadEnvelope, **error_responses(400, 401, 403, 404, 409, 413, 415, 429)},
    ),
    bulk=extend_schema(
        summary="Create or merge up to 100 leads",
        description=(
            '`{"leads": [...]}` with 1 to 100 bodies, each as `POST /api/v1/leads` takes it; '
            "`merge` applies to every one. Each is created or merged on its own, in order (one "
            "refused lead does not undo the others; a later lead matching an earlier one merges "
            "into it); new leads that match nothing are written together, in one transaction. "
            "Answers **200** with one result per lead, in input order: "
            "`status` 201 (created), 200 (merged) or the error's, with `data` or `error`, and a "
            "`summary`. Counts as one request against the rate limit; the body may be up to "
            "1 MiB."
        ),
        parameters=[*RATE_LIMIT_HEADERS, MERGE_PARAMETER],
        request=BulkRequestSerializer,
        examples=[
            OpenApiExample(
                "A web-form backlog",
                request_only=True,
                value={
                    "leads": [
                        {"name": "Priya Sharma", "email": "priya@example.com", "source": "Website"},
                        {"name": "Rahul Verma", "phone": "+91 98765 43210", "source": "Website"},
                    ]
                },
            )
        ],
        responses={
            200: response_serializer(LeadSerializer, ErrorDetailSerializer),
            **error_responses(400, 401, 403, 413, 415, 429),
        },
    ),
    add_tags=extend_schema(
        summary="Add tags to a lead",
        description="Tags the lead already has (ignoring case) are not added twice.",
        parameters=RATE_LIMIT_HEADERS,
        request=TagsSerializer,
        examples=[
            OpenApiExample("Tag a lead", request_only=True, value={"tags": ["vip", "callback"]})
        ],
        responses={200: LeadEnvelope, **error_responses(400, 401, 403, 404, 413, 415, 429)},
    ),
    remove_tag=extend_schema(
        summary="Remove a tag from a lead",
        description=(
            "The tag is matched ignoring case; URL-encode it (`/tags/hot%20lead`). A tag the "
            'lead does not have is a 404 with `field: "tag"`. Needs the Delete permission.'
        ),
        parameters=[
            *RATE_LIMIT_HEADERS,
            OpenApiParameter("tag", str, OpenApiParameter.PATH, description="The tag to remove."),
        ],
        request=None,
        responses={200: LeadEnvelope, **error_responses(401, 403, 404, 429)},
    ),
)
class LeadViewSet(RetrieveMixin, DestroyMixin, APIViewSet):
    # The assignee is joined (a lead shows its email).
    queryset = Lead.objects.select_related("assigned_to", "stage")
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    repeatable_params = frozenset({"tag"})
    cursor_paging = True  # `cursor` pages by keyset (api.pagination)

    def list(self, request, *args, **kwargs):
        # Read in SQL, as plain rows (leads/selectors.py says why).
        filters = LeadFilter.validated(request.query_params)
        ordering = LeadFilter.ordering(filters)
        limit, offset, after = self.paginator.position(request, Lead, ordering)
        page = lead_list(
            user=request.user, filters=filters, limit=limit, offset=offset, after=after
        )
        data = [represent(row) for row in page.rows]  # what LeadSerializer shows, without DRF
        next_row = page.rows[-1] if page.more else None
        return self.paginator.rows_response(data, total=page.total, next_row=next_row)

    def create(self, request, *args, **kwargs):
        merge = _merge_policy(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = lead_upsert(actor=self.actor, fields=serializer.validated_data, merge=merge)
        return Response(
            {"data": self.get_serializer(result.lead).data},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers={"Location": f"/api/v1/leads/{result.lead.pk}"} if result.created else None,
        )

    def partial_update(self, request, *args, **kwargs):
        """PATCH: the fields sent, and only editable ones; null clears a nullable field."""
        lead = self.get_object()
        require_changes(request.data, (*EDITABLE_FIELDS, *PLACEMENT_FIELDS))
        serializer = self.get_serializer(lead, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        change = lead_update(actor=self.actor, lead=lead, fields=serializer.validated_data)
        return Response({"data": self.get_serializer(change.lead).data})

    def update(self, request, *args, **kwargs):
        """PUT: a full replacement; what the body omits goes back to its default."""
        if kwargs.get("partial"):
            return self.partial_update(request, *args, **kwargs)
        lead = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = lead_replace(actor=self.actor, lead=lead, fields=serializer.validated_data)
        return Response({"data": self.get_serializer(change.lead).data})

    @property
    def max_body_bytes(self) -> int:
        """The bulk endpoint takes bigger bodies than the rest (api.renderers.JSONParser)."""
        bulk = getattr(self, "action", None) == "bulk"
        return settings.API_MAX_BULK_BODY_BYTES if bulk else settings.API_MAX_BODY_BYTES

    @property
    def per_item_key(self) -> str | None:
        """Bulk items are checked for NUL characters one by one (api.renderers.JSONParser)."""
        return "leads" if getattr(self, "action", None) == "bulk" else None

    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request, *args, **kwargs):
        merge = _merge_policy(request)
        serializer = BulkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data["leads"]
        return Response(bulk_upsert(self.actor, items, merge, LeadSerializer))

    @action(detail=True, methods=["post"], url_path="tags")
    def add_tags(self, request, *args, **kwargs):
        lead = self.get_object()
        serializer = TagsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = lead_add_tags(actor=self.actor, lead=lead, tags=serializer.validated_data["tags"])
        return Response({"data": self.get_serializer(change.lead).data})

    @action(detail=True, methods=["delete"], url_path=r"tags/(?P<tag>.+?)")
    def remove_tag(self, request, tag: str, *args, **kwargs):
        lead = self.get_object()
        change = lead_remove_tag(actor=self.actor, lead=lead, tag=tag)
        return Response({"data": self.get_serializer(change.lead).data})

    def perform_destroy(self, lead):
        lead_delete(actor=self.actor, lead=lead)


def _merge_policy(request) -> MergePolicy:
    raw = request.query_params.get("merge", MergePolicy.UPDATE)
    try:
        return MergePolicy(raw)
    except ValueError:
        allowed = ", ".join(policy.value for policy in MergePolicy)
        message = f"Unknown merge policy “{raw}”; use one of: {allowed}."
        raise ValidationError({"merge": message}) from None
