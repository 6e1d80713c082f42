"""The forms of Settings → Integrations → Webhooks. They only shape the input; every rule (the
URL's SSRF guard, the event names, the description's length) is webhooks.rules', reached
through webhooks.services, whose refusals show next to the field they name."""

from django import forms

from core.errors import ServiceError
from webhooks.models import MessageState, Subscription
from webhooks.rules import (
    ALL_EVENTS,
    DESCRIPTION_MAX_LENGTH,
    URL_MAX_LENGTH,
    EventType,
    parse_url,
)

EVENT_CHOICES = [(ALL_EVENTS, "All events (*)"), *((name, name) for name in EventType.values)]
DELIVERIES_PER_PAGE = 20


class WebhookForm(forms.Form):
    """Create a subscription, or (with `subscription`) edit one, its on/off switch included."""

    url = forms.CharField(
        label="Endpoint URL",
        max_length=URL_MAX_LENGTH,
        strip=False,  # the service strips and judges it
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/crm"}),
        help_text="Events are POSTed here, signed (Standard Webhooks). Public https:// "
        "addresses only.",
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one event, or All events."},
    )
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="What receives them, for whoever looks at this later.",
    )
    enabled = forms.BooleanField(
        required=False,
        help_text="Off: nothing is sent. Switching it on again clears the reason it was disabled.",
    )

    def __init__(self, *args, subscription: Subscription | None = None, **kwargs):
        if subscription is not None:
            kwargs.setdefault(
                "initial",
                {
                    "url": subscription.url,
                    "events": list(subscription.events),
                    "description": subscription.description,
                    "enabled": subscription.enabled,
                },
            )
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        if subscription is None:
            del self.fields["enabled"]  # a new subscription starts enabled

    def clean(self):
        """The service judges the URL when it saves; when another field is already refused
        (no event ticked), its form is judged now, so that both mistakes show at once."""
        cleaned = super().clean()
        if self.errors and "url" in cleaned and "url" not in self.errors:
            try:
                parse_url(cleaned["url"])
            except ServiceError as error:
                self.add_error("url", error.message)
        return cleaned

    def clean_events(self) -> list[str]:
        # "All events" ticked means every event, whatever else is ticked beside it.
        events = self.cleaned_data["events"]
        return [ALL_EVENTS] if ALL_EVENTS in events else events

    def service_fields(self) -> dict:
        """What the service is given: exactly the fields this form shows."""
        return {name: self.cleaned_data[name] for name in self.fields}


class DeliveryFilterForm(forms.Form):
    """The deliveries page's filter: by state (unknown values are ignored, like other lists)."""

    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *MessageState.choices], label="State"
    )

    def __init__(self, data):
        super().__init__(data)
        self.is_valid()

    @property
    def chosen_state(self) -> str:
        return self.cleaned_data.get("state") or ""

    @property
    def active_filters(self) -> int:
        return 1 if self.chosen_state else 0
