"""Settings → Pipelines (admins): pipelines and their stages."""

from django.http import HttpResponse

from .common import page


@page
def pipeline_list(request):
    return HttpResponse("Pipeline settings are being built.")
