from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Call logs"

    def ready(self) -> None:
        from leads.tally import regrouped

        # A lead's calls are counted by its assignee, source and pipeline (calls.tally): when
        # those change, or the lead is deleted, its calls' counts move with it.
        regrouped.connect(_leads_regrouped, dispatch_uid="calls.tally.leads_regrouped")


def _leads_regrouped(sender, moves, **kwargs) -> None:
    from . import tally

    tally.leads_regrouped(moves)
