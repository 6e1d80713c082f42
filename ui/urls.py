from django.urls import path

from . import views

app_name = "ui"
urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.lead_list, name="lead_list"),
    path("calls/", views.call_list, name="call_list"),
]
