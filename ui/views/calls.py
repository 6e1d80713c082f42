"""The call log: every call the user may see, newest first, with the API's filters."""

from django.shortcuts import render

from calls.models import CallLog
from leads.models import Lead

from ..forms import CallFilterForm
from ..pagination import SortKey, capped_count, paginate
from .common import page
from .tasks import quick_call_choices

NEWEST = (SortKey("called_at", descending=True), SortKey("id", descending=True))


@page
def call_list(request):
    form = CallFilterForm(request.GET)
    calls = form.apply(CallLog.objects.visible_to(request.user))
    result = paginate(
        calls.select_related("lead", "lead__assigned_to"),
        NEWEST,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=form.page_size,
    )
    count, capped = capped_count(calls)
    lead = None
    if lead_id := form.cleaned_data.get("lead"):
        lead = Lead.objects.visible_to(request.user).filter(pk=lead_id).first()
    context = {
        "form": form,
        "page": result,
        "count": count,
        "capped": capped,
        "lead": lead,
        # Log a call without opening a lead: on the lead of the filter, or by phone number.
        "quick_call": quick_call_choices(),
    }
    return render(request, "ui/call_list.html", context)
