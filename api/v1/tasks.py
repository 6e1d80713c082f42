"""/api/v1/tasks: follow-ups and call-backs on leads: list, read, add, change, complete, delete."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tasks.listing import TaskFilter
from tasks.models import Task
from tasks.representation import task_to_api
from tasks.rules import EDITABLE_FIELDS, NOTES_MAX_LENGTH, TITLE_MAX_LENGTH, TaskKind
from tasks.services import task_create, task_delete, task_update

from ..schema import RATE_LIMIT_HEADERS, DeletedSerializer, envelope, error_responses
from ..serializers import StrictJSONSerializer, TimestampField
from ..viewsets import APIViewSet, DestroyMixin, RetrieveMixin, require_changes
from .leads import AssigneeField


class TaskSerializer(StrictJSONSerializer):
    """A task as the API reads and writes it (tasks.representation writes the response)."""

    id = serializers.UUIDField(read_only=True)
    lead_id = serializers.UUIDField(help_text="The lead this task is about.")
    kind = serializers.ChoiceField(
        choices=TaskKind.choices,
        read_only=True,
        help_text="`call_back` (made after a missed inbound call) or `follow_up`.",
    )
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, help_text="1–200 characters.")
    due_at = TimestampField(help_text="When it is due (ISO 8601; UTC if no offset is given).")
    notes = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=NOTES_MAX_LENGTH
    )
    assigned_to = AssigneeField(
        required=False,
        help_text="Who should do it, by email. Default: the lead's assignee, else the key's "
        "user. A sales rep's key may assign only to its own user.",
    )
    done = serializers.BooleanField(read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    done_by = serializers.EmailField(
        read_only=True, allow_null=True, help_text="Who marked it done."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, task: Task) -> dict:
        return task_to_api(task)


class TaskPatchSerializer(StrictJSONSerializer):
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    due_at = TimestampField(required=False)
    notes = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=NOTES_MAX_LENGTH
    )
    assigned_to = AssigneeField(required=False)
    done = serializers.BooleanField(
        required=False, help_text="true: done now, by the key's user; false: open again."
    )

    def validate_done(self, value):
        if not isinstance(self.initial_data.get("done"), bool):
            raise serializers.ValidationError("Must be true or false.")
        return value


TaskEnvelope = envelope(TaskSerializer, "TaskEnvelope")


@extend_schema_view(
    list=extend_schema(
        summary="List tasks",
        description=(
            "Sorted by due time (then id), 50 per page. Unlike leads and call logs there is no "
            "default date window: `from_date`/`to_date` (IST days on the due time) narrow it. "
            "A sales rep's key lists the tasks on its user's leads and the tasks assigned to "
            "its user."
        ),
        parameters=RATE_LIMIT_HEADERS,
        responses={200: TaskSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="Get a task",
        parameters=RATE_LIMIT_HEADERS,
        responses={200: TaskEnvelope, **error_responses(401, 403, 404, 429)},
    ),
    create=extend_schema(
        summary="Add a task",
        description="A follow-up on a lead the key can see (kind `follow_up`).",
        parameters=RATE_LIMIT_HEADERS,
        examples=[
            OpenApiExample(
                "Send the quotation on Friday",
                request_only=True,
                value={
                    "lead_id": "3f1c2a9e-8d4b-4c6f-9a1e-2b7d5e8f0a13",
                    "title": "Send the quotation",
                    "due_at": "2026-12-04T10:00:00+05:30",
                    "notes": "Include the annual plan.",
                },
            )
        ],
        responses={201: TaskEnvelope, **error_responses(400, 401, 403, 404, 413, 415, 429)},
    ),
    partial_update=extend_schema(
        summary="Update a task",
        description=(
            "Any of `title`, `due_at`, `assigned_to`, `notes`, `done`; any other field, or an "
            "empty body, is a 400. `done: true` completes the task (now, by the key's user)."
        ),
        parameters=RATE_LIMIT_HEADERS,
        request=TaskPatchSerializer,
        examples=[OpenApiExample("Done", request_only=True, value={"done": True})],
        responses={200: TaskEnvelope, **error_responses(400, 401, 403, 404, 413, 415, 429)},
    ),
    destroy=extend_schema(
        summary="Delete a task",
        parameters=RATE_LIMIT_HEADERS,
        responses={
            200: envelope(DeletedSerializer, "TaskDeleted"),
            **error_responses(401, 403, 404, 429),
        },
    ),
)
class TaskViewSet(mixins.ListModelMixin, RetrieveMixin, DestroyMixin, APIViewSet):
    queryset = Task.objects.select_related("assigned_to", "done_by")
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    cursor_paging = True  # `cursor` pages by keyset (api.pagination)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        task = task_create(actor=self.actor, lead_id=fields.pop("lead_id"), fields=fields)
        return Response(
            {"data": task_to_api(task)},
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/tasks/{task.pk}"},
        )

    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        require_changes(request.data, EDITABLE_FIELDS)
        serializer = TaskPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = task_update(actor=self.actor, task=task, fields=serializer.validated_data)
        return Response({"data": task_to_api(change.task)})

    def perform_destroy(self, task):
        task_delete(actor=self.actor, task=task)
