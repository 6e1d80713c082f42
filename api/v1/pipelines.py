"""/api/v1/pipelines: the pipelines with their stages (and each stage's leads, counted for the
key's user), and moving a lead to a stage. Rules live in pipelines/ and leads.services."""

from collections.abc import Sequence

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import NotFound
from leads.models import Lead
from leads.representation import lead_to_api
from leads.selectors import stage_totals_counted
from leads.services import lead_move
from pipelines.models import Pipeline
from pipelines.representation import pipeline_to_api
from pipelines.rules import LeadStatus
from pipelines.selectors import active_pipelines

from ..schema import RATE_LIMIT_HEADERS, envelope, error_responses
from ..serializers import StrictJSONSerializer
from ..viewsets import APIViewSet
from .leads import LeadEnvelope


class StageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    position = serializers.IntegerField(help_text="1 for the first stage, then 2, 3…")
    status = serializers.ChoiceField(
        choices=LeadStatus.choices, help_text="What a lead in this stage reports as its status."
    )
    probability = serializers.IntegerField(min_value=0, max_value=100, help_text="Win %.")
    rotting_days = serializers.IntegerField(
        allow_null=True, help_text="A lead unchanged for longer in this stage is rotting."
    )
    lead_count = serializers.IntegerField(help_text="Leads in the stage now (yours, for a rep).")
    deal_value_total = serializers.FloatField(help_text="Their deal values' sum in INR (0: none).")


# A pipeline and its active stages in order. (A comment, not a docstring: drf-spectacular
# would publish a docstring as the schema's description.)
class PipelineSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    is_default = serializers.BooleanField(help_text="New leads that name no pipeline go here.")
    stages = StageSerializer(many=True)


class MoveSerializer(StrictJSONSerializer):
    lead_id = serializers.UUIDField()
    stage_id = serializers.UUIDField(help_text="A stage of this pipeline.")


@extend_schema_view(
    list=extend_schema(
        summary="List pipelines",
        description=(
            "Active pipelines, the default first, each with its active stages in order. "
            "`lead_count` and `deal_value_total` count the leads in each stage now (no date "
            "window) that the key's user may see."
        ),
        parameters=RATE_LIMIT_HEADERS,
        responses={200: PipelineSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Get a pipeline",
        parameters=RATE_LIMIT_HEADERS,
        responses={
            200: envelope(PipelineSerializer, "PipelineEnvelope"),
            **error_responses(401, 403, 404, 429),
        },
    ),
    move_lead=extend_schema(
        summary="Move a lead to a stage",
        description=(
            "The lead's status becomes the stage's. Recorded as one `lead.updated` event with "
            "the previous `stage_id`, `stage` and `status` (and `pipeline_id` when it changes "
            "pipeline); a move to the lead's current stage answers 200 and records nothing. A "
            "lead the key's user cannot see is a 404; a stage of another pipeline, or no "
            'stage, a 400 with `field: "stage_id"`.'
        ),
        parameters=RATE_LIMIT_HEADERS,
        request=MoveSerializer,
        examples=[
            OpenApiExample(
                "Move a lead",
                request_only=True,
                value={
                    "lead_id": "0b5e4b6a-3f0e-4a39-9d55-4cfb1c8e2f10",
                    "stage_id": "7d1f9c2e-8a4b-4c3d-9e5f-1a2b3c4d5e6f",
                },
            )
        ],
        responses={200: LeadEnvelope, **error_responses(400, 401, 403, 404, 413, 415, 429)},
    ),
)
class PipelineViewSet(APIViewSet):
    serializer_class = PipelineSerializer
    lookup_value_converter = "uuid"
    queryset = Pipeline.objects.none()  # (for the schema; get_queryset reads the real ones)

    def get_queryset(self):
        # Pipelines are the team's configuration: every user sees every active one. Their
        # leads are counted per user (row-level security), in `_represent`.
        return active_pipelines()

    def list(self, request, *args, **kwargs):
        pipelines = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._represent(pipelines))

    def retrieve(self, request, *args, **kwargs):
        return Response({"data": self._represent([self.get_object()])[0]})

    @action(detail=True, methods=["post"], url_path="leads")
    def move_lead(self, request, *args, **kwargs):
        pipeline = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = Lead.objects.visible_to(request.user).filter(pk=serializer.validated_data["lead_id"])
        lead = lead.first()
        if lead is None:
            raise NotFound("No lead with this id (that this key may see).", "lead_id")
        change = lead_move(
            actor=self.actor,
            lead=lead,
            stage_id=serializer.validated_data["stage_id"],
            pipeline_id=pipeline.pk,
        )
        return Response({"data": lead_to_api(change.lead)})

    def _represent(self, pipelines: Sequence[Pipeline]) -> Sequence[dict]:
        """The pipelines with their stages' totals: one GROUP BY for all of them."""
        stages = {pipeline.pk: list(pipeline.stages.all()) for pipeline in pipelines}
        stage_ids = [stage.pk for found in stages.values() for stage in found]
        totals = stage_totals_counted(stage_ids, self.request.user)
        pairs = {stage_id: (total.count, total.deal_value) for stage_id, total in totals.items()}
        return [pipeline_to_api(pipeline, stages[pipeline.pk], pairs) for pipeline in pipelines]
