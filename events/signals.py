"""`events_recorded` is sent by events.services.record_events, inside the change's transaction,
with the events just written. Whatever must happen *with* a change (the webhook outbox) listens
here, so the event stream need not know its readers (they sit in the layers above it)."""

from django.dispatch import Signal

# kwargs: events (list[events.models.Event]), actor (events.services.Actor)
events_recorded = Signal()
