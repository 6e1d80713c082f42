from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("", include("ui.urls")),
]

handler404 = "api.errors.not_found"
handler500 = "api.errors.server_error"
