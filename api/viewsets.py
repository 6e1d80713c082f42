"""The base of every /api/v1/ viewset: authentication, then the rate limit, then the key's
permission toggles; row-level security on every queryset; the acting user for the services;
and the query-string rules every endpoint shares."""

import contextlib
import random
import time

from django.db import OperationalError, transaction
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from events.models import Channel
from events.services import Actor

from . import idempotency
from .renderers import AlwaysJSON, JSONRenderer


class APIViewSet(GenericViewSet):
    """Throttling runs before the permission check so that every authenticated response, a 403
    included, counts against the key and carries its headers."""

    content_negotiation_class = AlwaysJSON
    # Query parameters an endpoint documents as repeatable; any other may appear once.
    repeatable_params: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        request.version, request.versioning_scheme = self.determine_version(
            request, *args, **kwargs
        )
        self.perform_authentication(request)
        self.check_throttles(request)
        self.check_permissions(request)
        self.check_query_string(request)

    def dispatch(self, request, *args, **kwargs):
        """DRF's dispatch, with `Idempotency-Key` (api.idempotency): a write that carries one
        runs in one transaction with the storing of its response; a repeat is answered from
        the store. Everything else is DRF's own sequence."""
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        claim = held = None
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            handler = handler or self.http_method_not_allowed
            # (A method the endpoint does not have is a 405 whatever headers come with it.)
            key = idempotency.key_of(request) if handler != self.http_method_not_allowed else None
            if key is None:
                response = handler(request, *args, **kwargs)
            else:
                found = idempotency.begin(request.auth, key, idempotency.fingerprint(request))
                if isinstance(found, idempotency.Replay):
                    response = found.response()
                else:
                    claim = held = found
                    response = _in_one_transaction(lambda: handler(request, *args, **kwargs), claim)
                    claim = None  # remembered, with the write
        except Exception as exc:
            response = self.handle_exception(exc)
            if claim is not None:  # the write rolled back; a client error is remembered still
                with contextlib.suppress(idempotency.StillRunning):  # (unless the key moved on)
                    _remember(claim, response)
        finally:
            if held is not None:
                idempotency.finish(held)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def check_query_string(self, request) -> None:
        """`?limit=1&limit=2` is ambiguous (which one did the client mean?): a 400 naming the
        parameter, unless the endpoint documents it as repeatable. No parameter may hold a NUL
        character (PostgreSQL cannot compare one)."""
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                field = name.replace("\x00", "")
                raise exceptions.ValidationError({field: "Must not contain NUL characters."})
            if len(values) > 1 and name not in self.repeatable_params:
                raise exceptions.ValidationError({name: "Give this parameter once."})

    def get_queryset(self):
        """`queryset`, narrowed to what the key's linked user may see (row-level security)."""
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular inspecting the view
            return self.queryset.none()
        return self.queryset.visible_to(self.request.user)

    def filter_queryset(self, queryset):
        # The list filters (and their 30-day default window) must not hide a lead from
        # GET/DELETE /{id}.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @property
    def actor(self) -> Actor:
        return Actor.for_request(self.request, Channel.API, api_key=self.request.auth)


# A write under an Idempotency-Key is one transaction however many rows it changes (a bulk
# import): two of them may lock the same leads in opposite orders, and PostgreSQL then breaks
# the deadlock by failing one. That one is run again, from the start, a few times.
DEADLOCK_RETRIES = 4


def _in_one_transaction(run, claim: idempotency.Claim):
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with transaction.atomic():
                response = run()
                _remember(claim, response)
            return response
        except OperationalError as error:
            if not _is_deadlock(error) or attempt == DEADLOCK_RETRIES:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 (jitter)
    raise AssertionError("unreachable")


def _is_deadlock(error: OperationalError) -> bool:
    # psycopg's DeadlockDetected and SerializationFailure (SQLSTATE 40P01, 40001).
    return getattr(error.__cause__, "sqlstate", None) in ("40P01", "40001")


def _remember(claim: idempotency.Claim, response) -> None:
    body = JSONRenderer().render(response.data) if response.data is not None else b""
    idempotency.complete(claim, response.status_code, body, response.get("Location"))


def require_changes(data, allowed) -> None:
    """A PATCH names what it changes: nothing is a client bug, and so is a field that cannot
    change (a typo would otherwise be ignored while the client believes it was saved)."""
    if not isinstance(data, dict):
        return  # the serializer says what is wrong with it
    if not data:
        raise exceptions.ValidationError({"non_field_errors": "Send at least one field to change."})
    for name in data:
        if name not in allowed:
            message = "This field cannot be changed (or does not exist)."
            raise exceptions.ValidationError({name: message})


class RetrieveMixin:
    """GET /{id} → `{"data": resource}`."""

    def retrieve(self, request, *args, **kwargs):
        return Response({"data": self.get_serializer(self.get_object()).data})


class DestroyMixin:
    """DELETE /{id} → `{"data": {"id", "deleted": true}}`; `perform_destroy` calls the service."""

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        deleted_id = str(instance.pk)
        self.perform_destroy(instance)
        return Response({"data": {"id": deleted_id, "deleted": True}})
