from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularSwaggerView,
    SpectacularYAMLAPIView,
)
from rest_framework.routers import SimpleRouter

from accounts.views import LoginView
from calls.views import CallLogViewSet
from leads.views import LeadViewSet

from .middleware import api_not_found
from .postman import postman_collection


class OptionalSlashRouter(SimpleRouter):
    """Paths work with or without a trailing slash: integrators write them both ways."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("call-logs", CallLogViewSet, basename="calllog")

api_v1 = [
    path("openapi.yaml", SpectacularYAMLAPIView.as_view(), name="openapi-yaml"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-json"),
    path("postman_collection.json", postman_collection, name="postman-collection"),
    *router.urls,
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="openapi-json"), name="api-docs"),
    path("api/docs", RedirectView.as_view(pattern_name="api-docs", permanent=True)),
    re_path(r"^api/", api_not_found),
    path("healthz", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/integrations/api/", include("apikeys.urls")),
    path("", include("ui.urls")),
]

handler404 = "crm.middleware.not_found"
handler500 = "crm.middleware.server_error"
