from django.apps import AppConfig
from django.db.models.signals import pre_delete


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        # Deleting a user unassigns their leads in the database, without saving them: their
        # counts (leads.tally) move to "nobody" first.
        pre_delete.connect(
            _user_deleted, sender=get_user_model(), dispatch_uid="leads.tally.user_deleted"
        )


def _user_deleted(sender, instance, **kwargs) -> None:
    from . import tally
    from .models import Lead

    # The user row first: no lead can be assigned to them meanwhile (its foreign key waits);
    # then their leads, so that none is reassigned between this count and the deletion.
    list(type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("pk"))
    fields = (
        "created_at", "assigned_to", "stage", "source", "priority", "deal_value", "furthest_stage",
    )  # fmt: skip
    leads = Lead.objects.filter(assigned_to=instance).select_for_update().order_by("pk")
    tally.unassigned(leads.only(*fields))
