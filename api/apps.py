from django.apps import AppConfig


class APIConfig(AppConfig):
    name = "api"
    verbose_name = "API v1"

    def ready(self):
        from . import schema  # noqa: F401  (registers the OpenAPI security scheme)
