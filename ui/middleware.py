from django.conf import settings
from django.utils import timezone

from crm.middleware import API_PREFIX


class DisplayTimeZoneMiddleware:
    """Pages render times in settings.DISPLAY_TIME_ZONE (IST); the API keeps UTC, which it
    writes with an explicit `Z`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            return self.get_response(request)
        with timezone.override(settings.DISPLAY_TIME_ZONE):
            return self.get_response(request)
