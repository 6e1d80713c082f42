import datetime as dt
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from calls.rules import CallType
from calls.services import call_log
from events.models import Channel, Event
from events.services import Actor
from leads import tally
from leads.models import Lead
from leads.rules import LeadPriority, LeadStatus
from leads.services import lead_upsert
from pipelines.models import Pipeline
from pipelines.services import pipeline_create, stage_update
from tasks.services import task_create

ADMIN_EMAIL, REP_EMAIL, OTHER_REP_EMAIL = "admin@example.com", "rep@example.com", "rep2@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed on purpose: local demo data only

FIRST = [
    "Asha", "Rahul", "Priya", "Vikram", "Neha", "Arjun", "Kavya", "Rohan", "Isha", "Karan",
    "Meera", "Aditya", "Sneha", "Farhan", "Divya", "Siddharth", "Ananya", "Manish",
]  # fmt: skip
LAST = ["Sharma", "Verma", "Iyer", "Reddy", "Patel", "Nair", "Gupta", "Khan", "Das", "Mehta"]
COMPANIES = [
    "Verma Traders", "Sunrise Realty", "Nimbus Tech", "Green Leaf Foods", None, "Orbit Logistics",
    "Kaveri Textiles", None, "BluePeak Finance",
]  # fmt: skip
CITIES = ["Pune", "Mumbai", "Bengaluru", "Chennai", "Hyderabad", "Delhi", "Kochi", "Jaipur"]
SOURCES = ["IVR", "Website", "Facebook Ads", "Referral", "API", "Google Ads"]
FOLLOW_UPS = ["Send the quote", "Demo call", "Share the brochure", "Ask for a decision"]


class Command(BaseCommand):
    help = "Create demo users, leads and call logs (once), and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Seed even with DEBUG off (not in production!)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            # The demo admin has a published password: never on a production database.
            raise CommandError("seed_demo runs only with DJANGO_DEBUG on (or --force).")
        if not User.objects.filter(email=ADMIN_EMAIL).exists():
            self._seed()
        self.stdout.write(
            f"\nDemo logins (password for every demo user: {DEMO_PASSWORD})\n"
            f"  Admin:     {ADMIN_EMAIL}\n  Sales rep: {REP_EMAIL}\n"
        )

    @transaction.atomic
    def _seed(self):
        rng = random.Random(42)  # the same demo data on every machine
        admin = User.objects.create_superuser(
            ADMIN_EMAIL, DEMO_PASSWORD, first_name="Anita", last_name="Admin"
        )
        reps = [
            User.objects.create_user(email, DEMO_PASSWORD, first_name=first, last_name="Rep")
            for email, first in [(REP_EMAIL, "Ravi"), (OTHER_REP_EMAIL, "Sara")]
        ]
        actor = Actor.system(user=admin, channel=Channel.IMPORT)
        now = timezone.now()
        # Rotting days on the default pipeline, and a second pipeline for partner deals.
        sales = Pipeline.objects.get(is_default=True)
        for name, days in [("Contacted", 5), ("Proposal", 10)]:
            stage_update(
                actor=actor, stage=sales.stages.get(name=name), fields={"rotting_days": days}
            )
        partners = pipeline_create(
            actor=actor,
            fields={"name": "Partnerships"},
            stages=[
                {"name": "Intro", "status": "New", "probability": 10},
                {"name": "Demo", "status": "Contacted", "probability": 30, "rotting_days": 7},
                {"name": "Negotiation", "status": "Proposal", "probability": 60},
                {"name": "Signed", "status": "Won", "probability": 100},
                {"name": "Dropped", "status": "Lost", "probability": 0},
            ],
        )
        partner_stages = [stage.pk for stage in partners.stages.all()]
        for index in range(40):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            result = lead_upsert(
                actor=actor,
                fields={
                    "name": f"{first} {last}",
                    "phone": f"+91 9{rng.randrange(10**8, 10**9):09d}",
                    "email": f"{first}.{last}{index}@example.com".lower(),
                    "company": rng.choice(COMPANIES),
                    "city": rng.choice(CITIES),
                    "source": rng.choice(SOURCES),
                    # Every fifth lead is a partner deal, in a stage of that pipeline.
                    **(
                        {"stage_id": rng.choice(partner_stages)}
                        if index % 5 == 4
                        else {"status": rng.choice(LeadStatus.values)}
                    ),
                    "priority": rng.choice(LeadPriority.values),
                    "tags": rng.sample(["hot", "callback", "enterprise", "referral", "vip"], 2),
                    "deal_value": rng.choice([None, 25000, 120000, 450000, 1800000]),
                    "assigned_to": reps[index % 2] if index % 5 else None,
                },
            )
            created = now - dt.timedelta(days=rng.randrange(0, 25), minutes=rng.randrange(1440))
            # Back-date the lead and its timeline so the demo looks lived in (and some leads
            # have sat in their stage long enough to rot).
            Lead.objects.filter(pk=result.lead.pk).update(
                created_at=created, stage_entered_at=created, updated_at=created
            )
            # (Events are immutable to the app; demo data writes its own past, once.)
            Event.objects.filter(lead_id=result.lead.pk).update(occurred_at=created)
            for _ in range(rng.randrange(0, 4)):
                duration = rng.choice([0, 0, 45, 130, 610])
                call = call_log(
                    actor=actor,
                    lead_id=result.lead.pk,
                    call_type=rng.choice(CallType.values),
                    duration_seconds=duration,
                    notes=rng.choice([None, "Wants a quote", "Call back after 5 pm"]),
                    called_at=min(now, created + dt.timedelta(hours=rng.randrange(1, 72))),
                )
                Event.objects.filter(subject_id=str(call.pk)).update(occurred_at=call.called_at)
            if index % 3 == 0:  # a follow-up: some overdue, some today, some later
                task_create(
                    actor=actor,
                    lead_id=result.lead.pk,
                    fields={
                        "title": rng.choice(FOLLOW_UPS),
                        "due_at": now + dt.timedelta(hours=rng.randrange(-48, 120)),
                    },
                )
        tally.rebuild()  # the leads were back-dated by SQL: count them on their days
        self.stdout.write(
            self.style.SUCCESS("Created demo users, 40 leads, their calls and tasks.")
        )
