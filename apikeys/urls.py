from django.urls import path

from . import views

app_name = "apikeys"
urlpatterns = [
    path("", views.apikey_list, name="list"),
    path("new/", views.apikey_new, name="new"),
    path("<int:key_id>/edit/", views.apikey_edit, name="edit"),
    path("<int:key_id>/regenerate/", views.apikey_regenerate_view, name="regenerate"),
    path("<int:key_id>/revoke/", views.apikey_revoke_view, name="revoke"),
]
