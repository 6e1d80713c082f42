"""The pipeline board (/pipeline/): one column per stage, cards that move between them."""

from django.http import HttpResponse

from .common import page


@page
def board(request):
    return HttpResponse("The pipeline board is being built.")


@page
def board_move(request):
    return HttpResponse(status=405)
