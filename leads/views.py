from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.response import Response

from crm.api import APIViewSet, DestroyMixin, RetrieveMixin
from crm.schema import RATE_LIMIT_HEADERS, DeletedSerializer, envelope, error_responses

from .filters import LeadFilter
from .models import Lead
from .selectors import lead_list
from .serializers import LeadSerializer
from .services import lead_delete, lead_upsert

LeadEnvelope = envelope(LeadSerializer, "LeadEnvelope")


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
        parameters=RATE_LIMIT_HEADERS,
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
)
class LeadViewSet(RetrieveMixin, DestroyMixin, APIViewSet):
    # The assignee is joined (a lead shows its email).
    queryset = Lead.objects.select_related("assigned_to")
    serializer_class = LeadSerializer
    filterset_class = LeadFilter

    def list(self, request, *args, **kwargs):
        # Read in SQL, as plain rows (leads/selectors.py says why).
        filters = LeadFilter.lead_list_filters(LeadFilter.validated(request.query_params))
        limit, offset = self.paginator.limits(request)
        page = lead_list(user=request.user, **filters, limit=limit, offset=offset)
        data = self.get_serializer(page.rows, many=True).data
        return self.paginator.rows_response(data, total=page.total)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = lead_upsert(actor=self.actor, fields=serializer.validated_data)
        return Response(
            {"data": self.get_serializer(result.lead).data},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers={"Location": f"/api/v1/leads/{result.lead.pk}"} if result.created else None,
        )

    def perform_destroy(self, lead):
        lead_delete(actor=self.actor, lead=lead)
