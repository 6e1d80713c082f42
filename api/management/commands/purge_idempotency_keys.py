from django.core.management.base import BaseCommand

from api.idempotency import purge_expired


class Command(BaseCommand):
    help = (
        "Delete stored Idempotency-Key responses past their 24 hours (run it daily, e.g. from "
        "cron; an expired key is also replaced when a client reuses it)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_expired()} expired Idempotency-Key record(s).")
