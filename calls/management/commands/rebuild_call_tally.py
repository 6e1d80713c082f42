"""Count every call again (calls.tally): after rows were written, changed or deleted with SQL
that bypasses the app (a bulk load, a restore, the benchmark's clean-up). Safe to run at any
time; the counts are replaced in one transaction."""

from django.core.management.base import BaseCommand
from django.db import transaction

from calls import tally


class Command(BaseCommand):
    help = "Rebuild the call counts behind the call list's totals and the analytics' calls."

    def handle(self, *args, **options):
        with transaction.atomic():
            cells = tally.rebuild()
        self.stdout.write(f"Counted the calls again: {cells} cells.")
