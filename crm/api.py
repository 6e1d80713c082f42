"""What every /api/v1/ endpoint shares: the error envelope, the IST date-window filter, and the
base viewset. (JSON parsing and rendering: crm.renderers; pagination: crm.pagination.)"""

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence

import django_filters
import django_filters.utils
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework.viewsets import GenericViewSet

from apikeys.network import request_client_ip
from audit.services import Actor

from .dates import ist_range, ist_window, validate_day
from .errors import ServiceError
from .renderers import AlwaysJSON

logger = logging.getLogger(__name__)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, unlike \d

ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limit_exceeded",
    500: "server_error",
}


def error_body(status_code: int, message: str, field: str | None = None, code: str | None = None):
    error = {"code": code or ERROR_CODES.get(status_code, ERROR_CODES[400]), "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def error_response(status_code: int, message: str, field: str | None = None) -> JsonResponse:
    """The envelope as a plain Django response, for errors raised outside DRF."""
    return JsonResponse(error_body(status_code, message, field), status=status_code)


# --- Errors ---------------------------------------------------------------------------------


def _first_error(detail, path: str = "") -> tuple[str, str]:
    """The first (field path, message) in a DRF ValidationError detail."""
    if isinstance(detail, Mapping):
        key, value = next(iter(detail.items()))
        if key == "non_field_errors":
            return _first_error(value, path)
        name = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)
        return _first_error(value, name)
    if isinstance(detail, Sequence) and not isinstance(detail, str):
        return _first_error(detail[0], path) if detail else (path, "Invalid value.")
    return path, str(detail)


def exception_handler(exc, context):
    """Turn every exception raised in an API view into the error envelope."""
    set_rollback()
    headers = {}
    field = None
    if isinstance(exc, ServiceError):
        return Response(error_body(exc.status, exc.message, exc.field, exc.code), exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", context["request"].path, exc_info=exc)
        return Response(error_body(500, "Something went wrong on our end."), 500)

    if isinstance(exc, exceptions.ValidationError):
        path, message = _first_error(exc.detail)
        field = path.split(".")[0].split("[")[0] or None
        message = f"{path}: {message}" if path else message
    else:
        message = str(exc.detail)
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(max(1, int(exc.wait or 1)))
        if type(exc) is exceptions.Throttled:  # the per-key limit; subclasses say their own
            message = "Rate limit exceeded. Retry after the number of seconds in Retry-After."
    if auth_header := getattr(exc, "auth_header", None):  # set by DRF on 401s
        headers["WWW-Authenticate"] = auth_header
    return Response(error_body(exc.status_code, message, field), exc.status_code, headers=headers)


# --- Date windows ---------------------------------------------------------------------------


class DateWindowForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        # A parameter that is present must say something: `?status=` is a client bug, not
        # "no filter".
        for name in self.fields:
            if name in self.data and not str(self.data[name]).strip():
                self.add_error(name, "Must not be empty; leave the parameter out instead.")
        if self.errors:
            return cleaned
        from_date, to_date = ist_window(cleaned.get("from_date"), cleaned.get("to_date"))
        if from_date > to_date:
            self.add_error("from_date", f"from_date ({from_date}) is after to_date ({to_date}).")
        cleaned["from_date"], cleaned["to_date"] = from_date, to_date
        return cleaned


class ISODateField(forms.DateField):
    """Exactly YYYY-MM-DD: strptime alone would also take 2026-1-1."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD."}
    default_validators = [validate_day]

    def to_python(self, value):
        if value not in self.empty_values and not ISO_DATE.fullmatch(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ISODateFilter(django_filters.DateFilter):
    field_class = ISODateField


def _date_filter(description: str) -> django_filters.DateFilter:
    # The date window is applied in DateWindowFilterSet.filter_queryset, after defaults.
    return ISODateFilter(method=lambda queryset, name, value: queryset, help_text=description)


class DateWindowFilterSet(django_filters.FilterSet):
    """from_date/to_date are IST days: from_date's midnight up to the end of to_date. to_date
    defaults to today and from_date to 30 days before to_date."""

    date_field = "created_at"

    from_date = _date_filter("On or after this IST day (YYYY-MM-DD). Default: to_date − 30 days.")
    to_date = _date_filter("On or before this IST day (YYYY-MM-DD), inclusive. Default: today.")

    class Meta:
        form = DateWindowForm

    def get_form_class(self):
        # django-filter builds a new form class, with a new form field per filter, on every
        # request: about 8% of a list request's CPU (bench/README.md). None of our filters
        # depends on the request (no request-based querysets), so each FilterSet class builds
        # its form once.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    @classmethod
    def validated(cls, data) -> dict:
        """The valid parameters in `data` with the window's defaults filled in; a bad one is a
        ValidationError naming it (a 400). For a list read without a queryset: this builds the
        form alone, not a FilterSet, which deep-copies every filter on the way."""
        form_class = cls.__dict__.get("_form_class") or cls().get_form_class()
        form = form_class(data=data)
        if not form.is_valid():
            raise django_filters.utils.translate_validation(form.errors)
        return form.cleaned_data

    @staticmethod
    def window(params: Mapping) -> tuple[dt.datetime, dt.datetime]:
        """The half-open [start, end) that valid from_date/to_date parameters cover."""
        return ist_range(params["from_date"], params["to_date"])

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        start, end = self.window(self.form.cleaned_data)
        return queryset.filter(**{f"{self.date_field}__gte": start, f"{self.date_field}__lt": end})


def strict_choice_filter(choices, name: str) -> django_filters.ChoiceFilter:
    allowed = ", ".join(value for value, _ in choices)
    return django_filters.ChoiceFilter(
        choices=choices,
        help_text=f"One of: {allowed}.",
        error_messages={"invalid_choice": f"Unknown {name} “%(value)s”; use one of: {allowed}."},
    )


# --- Views ----------------------------------------------------------------------------------


class APIViewSet(GenericViewSet):
    """Base for API viewsets. Throttling runs before the permission check so that every
    authenticated response, a 403 included, counts against the key and carries its headers."""

    content_negotiation_class = AlwaysJSON

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
        request = self.request
        return Actor(user=request.user, api_key=request.auth, ip=request_client_ip(request))


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
