from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from core.http import is_api_path


class DisplayTimeZoneMiddleware:
    """Pages render times in settings.DISPLAY_TIME_ZONE (IST); the API keeps UTC, which it
    writes with an explicit `Z`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_path(request.path):
            return self.get_response(request)
        with timezone.override(settings.DISPLAY_TIME_ZONE):
            return self.get_response(request)


class RefuseNulMiddleware:
    """No text a person can send to a page (query string or form field, the admin's included)
    may hold a NUL character: PostgreSQL cannot store or compare one, so it would surface as a
    server error deep in a query. Such a request is a 400 naming the field. (The API refuses
    NUL in its own way: api.viewsets for the query string, api.renderers for JSON bodies.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request.path):
            field = _field_with_nul(request)
            if field is not None:
                return render(request, "400.html", {"field": field}, status=400)
        return self.get_response(request)


def _field_with_nul(request) -> str | None:
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "")
    return None
