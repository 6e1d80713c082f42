"""/api/v1/ routes, the OpenAPI document and the docs page."""

from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularSwaggerSplitView,
    SpectacularYAMLAPIView,
)
from rest_framework.routers import SimpleRouter

from .errors import api_not_found
from .postman import postman_collection
from .v1.analytics import AnalyticsViewSet
from .v1.calls import CallLogViewSet
from .v1.leads import LeadViewSet
from .v1.pipelines import PipelineViewSet
from .v1.tasks import TaskViewSet
from .v1.webhooks import WebhookViewSet


class OptionalSlashRouter(SimpleRouter):
    """Paths work with or without a trailing slash: integrators write them both ways."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("call-logs", CallLogViewSet, basename="calllog")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("analytics", AnalyticsViewSet, basename="analytics")
router.register("tasks", TaskViewSet, basename="task")

v1 = [
    path("openapi.yaml", SpectacularYAMLAPIView.as_view(), name="openapi-yaml"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-json"),
    path("postman_collection.json", postman_collection, name="postman-collection"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    # The split view serves Swagger UI's start-up script as a file: the page runs under a
    # Content-Security-Policy that allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="openapi-json"), name="api-docs"),
    path("docs", RedirectView.as_view(pattern_name="api-docs", permanent=True)),
    re_path(r"", api_not_found),
]
