from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        # Every recorded change may become messages to subscribers, in its own transaction.
        from events.signals import events_recorded

        from . import outbox

        events_recorded.connect(outbox.fan_out, dispatch_uid="webhooks.outbox.fan_out")
