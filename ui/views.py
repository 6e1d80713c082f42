from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    return render(request, "ui/home.html")


@login_required
def lead_list(request):
    return render(request, "ui/home.html")


@login_required
def call_list(request):
    return render(request, "ui/home.html")
