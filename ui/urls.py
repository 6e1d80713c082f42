from django.urls import path

from .views import calls, home, lead_detail, leads

app_name = "ui"
urlpatterns = [
    path("", home.home, name="home"),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/export.csv", leads.lead_export, name="lead_export"),
    path("leads/<uuid:lead_id>/", lead_detail.lead_detail, name="lead_detail"),
    path("leads/<uuid:lead_id>/edit/", leads.lead_edit, name="lead_edit"),
    path("leads/<uuid:lead_id>/delete/", leads.lead_delete_view, name="lead_delete"),
    path("leads/<uuid:lead_id>/calls/", lead_detail.lead_log_call, name="lead_log_call"),
    path("leads/<uuid:lead_id>/notes/", lead_detail.lead_note, name="lead_note"),
    path("leads/<uuid:lead_id>/status/", lead_detail.lead_status, name="lead_status"),
    path("calls/", calls.call_list, name="call_list"),
]
