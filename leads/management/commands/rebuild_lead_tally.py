"""Count every lead again (leads.tally): after rows were written or deleted with SQL that
bypasses the app (a bulk load, a restore, the benchmark's clean-up). Safe to run at any time;
the counts are replaced in one transaction."""

from django.core.management.base import BaseCommand
from django.db import transaction

from leads import tally


class Command(BaseCommand):
    help = "Rebuild the lead counts behind list totals and analytics from the leads table."

    def handle(self, *args, **options):
        with transaction.atomic():
            cells = tally.rebuild()
        self.stdout.write(f"Counted the leads again: {cells} cells.")
