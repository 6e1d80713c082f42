"""/api/v1/analytics: a summary of the leads created in an IST window, and the same by source.
The numbers come from analytics.selectors; this module reads the parameters and documents."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from analytics.filters import AnalyticsFilter
from analytics.selectors import funnel, sources, summary
from pipelines.models import Pipeline
from pipelines.selectors import default_pipeline

from ..schema import RATE_LIMIT_HEADERS, envelope, error_responses
from ..viewsets import APIViewSet


def rate(what: str) -> serializers.FloatField:
    """A ratio field (each serializer attribute needs its own instance: a shared one is listed
    once in the OpenAPI schema, under the last name it was bound to)."""
    return serializers.FloatField(
        allow_null=True, help_text=f"{what}: 0 to 1; null when dividing by 0."
    )


WINDOW_AND_FILTERS = [
    OpenApiParameter("from_date", OpenApiTypes.DATE, description="On or after this IST day "
                     "(YYYY-MM-DD). Default: to_date − 30 days."),
    OpenApiParameter("to_date", OpenApiTypes.DATE, description="On or before this IST day "
                     "(YYYY-MM-DD). Default: today."),
    OpenApiParameter("assigned_to", str,
                     description="Leads assigned to this user (email; or `all`)."),
    OpenApiParameter("source", str, description="Leads of this source, e.g. IVR (or `all`)."),
]  # fmt: skip
PARAMETERS = [
    *WINDOW_AND_FILTERS,
    OpenApiParameter("pipeline_id", str, description="Leads in this pipeline (its id, "
                     "8-4-4-4-12 hex digits; or `all`); an unknown one counts nothing."),
    *RATE_LIMIT_HEADERS,
]  # fmt: skip
FUNNEL_PARAMETERS = [
    *WINDOW_AND_FILTERS,
    OpenApiParameter("pipeline_id", str, description="The pipeline whose funnel this is (its "
                     "id, 8-4-4-4-12 hex digits; default, or `all`: the default pipeline). An "
                     "unknown id is a 400."),
    *RATE_LIMIT_HEADERS,
]  # fmt: skip


class LeadsByStatusSerializer(serializers.Serializer):
    # (Every status, 0 when none: pipelines.rules.LeadStatus.)
    New = serializers.IntegerField()
    Contacted = serializers.IntegerField()
    Qualified = serializers.IntegerField()
    Proposal = serializers.IntegerField()
    Won = serializers.IntegerField()
    Lost = serializers.IntegerField()


class AnalyticsSummarySerializer(serializers.Serializer):
    from_date = serializers.DateField()
    to_date = serializers.DateField()
    leads = serializers.IntegerField(help_text="Created in the window: the list's total.")
    by_status = LeadsByStatusSerializer()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = rate("won / (won + lost)")
    conversion_rate = rate("won / leads")
    won_value = serializers.FloatField(help_text="INR; 0 when none.")
    open_value = serializers.FloatField(help_text="INR, of leads neither Won nor Lost.")
    calls = serializers.IntegerField(
        help_text="Calls made in the window on leads matching the filters (created any day)."
    )
    missed_calls = serializers.IntegerField(help_text="Of them: Missed or No Answer.")


class AnalyticsSourceSerializer(serializers.Serializer):
    source = serializers.CharField()
    leads = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = rate("won / (won + lost)")
    conversion_rate = rate("won / leads")
    won_value = serializers.FloatField()


class FunnelStageSerializer(serializers.Serializer):
    stage_id = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()
    current = serializers.IntegerField(help_text="In this stage now.")
    reached = serializers.IntegerField(help_text="Ever in this stage or a later one.")
    conversion_from_previous = rate("reached / reached of the step before")


class AnalyticsFunnelSerializer(serializers.Serializer):
    pipeline_id = serializers.UUIDField()
    stages = FunnelStageSerializer(many=True)


class AnalyticsViewSet(APIViewSet):
    """(Every action reads; the key needs Read.)"""

    @extend_schema(
        summary="Summary of leads and calls",
        description=(
            "Leads created in the window (IST days; default the last 30, as on the lists) "
            "that the key's user may see, by status, with win rate (won / (won + lost)), "
            "conversion rate (won / leads), won and open deal values; and the calls made in "
            "the window on the leads matching the filters that the key's user may see, "
            "whenever those leads were created. `leads` equals the `pagination.total` of "
            "`GET /api/v1/leads` with the same window and filters."
        ),
        parameters=PARAMETERS,
        responses={200: envelope(AnalyticsSummarySerializer, "AnalyticsSummaryEnvelope"),
                   **error_responses(400, 401, 403, 429)},
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def summary(self, request, *args, **kwargs):
        return Response({"data": summary(request.user, AnalyticsFilter.validated(request.GET))})

    @extend_schema(
        summary="Leads and wins by source",
        description=(
            "The summary's leads per source: most leads first, equal counts by name ignoring case."
        ),
        parameters=PARAMETERS,
        responses={200: inline_serializer("AnalyticsSourcesEnvelope",
                                          {"data": AnalyticsSourceSerializer(many=True)}),
                   **error_responses(400, 401, 403, 429)},
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def sources(self, request, *args, **kwargs):
        return Response({"data": sources(request.user, AnalyticsFilter.validated(request.GET))})

    @extend_schema(
        summary="The pipeline's funnel",
        description=(
            "For the leads created in the window: per stage, how many are in it now "
            "(`current`) and how many ever reached it or a later stage (`reached`), and "
            "`conversion_from_previous` = reached / reached of the step before (null for the "
            "first). Stages with status Lost are not steps: they come last, `reached` = the "
            "leads that ended there. `pipeline_id` picks the pipeline (default: the default "
            "one)."
        ),
        parameters=FUNNEL_PARAMETERS,
        responses={200: envelope(AnalyticsFunnelSerializer, "AnalyticsFunnelEnvelope"),
                   **error_responses(400, 401, 403, 429)},
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def funnel(self, request, *args, **kwargs):
        filters = AnalyticsFilter.validated(request.GET)
        if filters.get("pipeline_id"):
            # An archived pipeline too: it holds no leads, but it is one (its funnel is zeros).
            pipeline = Pipeline.objects.filter(pk=filters["pipeline_id"]).first()
            if pipeline is None:
                raise ValidationError({"pipeline_id": "No pipeline has this id."})
        else:
            pipeline = default_pipeline()
        return Response({"data": funnel(request.user, filters, pipeline)})
