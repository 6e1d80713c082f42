"""The app's URLs behind one bench-only route: the framework floor."""

from django.http import HttpResponse
from django.urls import include, path

FLOOR_BODY = b'{"data":[],"pagination":{"limit":50,"offset":0,"total":0,"has_more":false}}'


def floor(request):
    """A bare Django view with a fixed JSON body: the full middleware stack and URL routing,
    no DRF, no database, no cache. Anything an API endpoint costs above this is its own."""
    return HttpResponse(FLOOR_BODY, content_type="application/json")


urlpatterns = [
    path("bench/floor", floor),
    path("", include("config.urls")),
]

# The app's JSON-under-/api/ error handlers are module attributes of the root URLconf.
from config.urls import handler404, handler500  # noqa: E402, F401
