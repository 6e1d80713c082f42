"""Realistic demo data for the screenshots: a rep's working week, through the real services."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from apikeys.services import apikey_create
from calls.services import call_log
from core.dates import ist_midnight, ist_today
from events.models import Channel, Event
from events.services import Actor
from leads.models import Lead, Note
from leads.services import lead_add_note, lead_update, lead_upsert
from tasks.services import task_create

# name, phone, email, company, city, source, status, priority, tags, deal value, days ago
REP_LEADS = [
    ("Ananya Reddy", "+91 98450 12345", "ananya@kaveritextiles.in", "Kaveri Textiles",
     "Hyderabad", "Referral", "Qualified", "High", ["enterprise", "hot"], 1800000, 6),
    ("Rahul Verma", "+91 99887 76655", None, "Verma Traders", "Delhi", "IVR", "New", "Medium",
     ["callback"], None, 0),
    ("Priya Iyer", "+91 91234 56789", "priya.iyer@nimbus.io", "Nimbus Tech", "Bengaluru",
     "Website", "Proposal", "High", ["enterprise"], 450000, 2),
    ("Vikram Singh", "+91 98111 22334", "vikram@orbitlogistics.com", "Orbit Logistics", "Pune",
     "Google Ads", "Contacted", "Medium", ["fleet"], 120000, 3),
    ("Kavya Nair", "+91 94470 55667", "kavya.nair@example.com", None, "Kochi", "Facebook Ads",
     "New", "Low", [], None, 0),
    ("Arjun Mehta", "+91 97690 11223", "arjun@sunriserealty.in", "Sunrise Realty", "Mumbai",
     "Referral", "Won", "High", ["vip"], 2500000, 12),
    ("Sneha Patel", "+91 99250 44556", None, "Green Leaf Foods", "Ahmedabad", "IVR",
     "Contacted", "Medium", ["callback", "hot"], 75000, 5),
    ("Farhan Khan", "+91 98200 99887", "farhan.khan@bluepeak.in", "BluePeak Finance", "Mumbai",
     "Website", "Lost", "Low", [], 300000, 20),
    ("Divya Menon", "+91 90030 33445", "divya@menonclinics.in", "Menon Clinics", "Chennai",
     "Walk-in", "Qualified", "Medium", ["healthcare"], 650000, 7),
    ("Siddharth Rao", "+91 98860 77889", None, None, "Bengaluru", "Facebook Ads", "New",
     "Medium", ["callback"], None, 1),
    ("Meera Joshi", "+91 95610 22113", "meera.joshi@example.com", "Joshi & Sons", "Jaipur",
     "Google Ads", "Proposal", "Medium", ["enterprise"], 980000, 9),
    ("Rohan Das", "+91 98300 66554", "rohan.das@example.com", "Das Electricals", "Kolkata",
     "IVR", "New", "High", ["hot"], 150000, 0),
]  # fmt: skip
OTHER_LEADS = [
    ("Isha Gupta", "+91 98990 12121", "Website", "New"),
    ("Karan Malhotra", "+91 98100 34343", "Referral", "Contacted"),
]


def seed_demo(*, rep, other_rep) -> dict[str, Lead]:
    """The rep's leads (by name), their calls, notes and status changes, and two API keys."""
    actor = Actor(user=rep, channel=Channel.WEB)
    now = timezone.now()
    leads: dict[str, Lead] = {}
    for index, row in enumerate(REP_LEADS):
        name, phone, email, company, city, source, status, priority, tags, value, days = row
        fields = {"name": name, "phone": phone, "source": source, "status": status,
                  "priority": priority, "tags": tags, "city": city}  # fmt: skip
        fields |= {k: v for k, v in (("email", email), ("company", company)) if v}
        if value is not None:
            fields["deal_value"] = Decimal(value)
        lead = lead_upsert(actor=actor, fields=fields).lead
        created = now - dt.timedelta(days=days, hours=index % 5, minutes=7 * index)
        Lead.objects.filter(pk=lead.pk).update(created_at=min(created, now))
        leads[name] = lead
    for name, phone, source, status in OTHER_LEADS:
        fields = {"name": name, "phone": phone, "source": source, "status": status}
        lead_upsert(actor=Actor(user=other_rep, channel=Channel.WEB), fields=fields)

    today = ist_midnight(ist_today())

    def today_at(fraction: float) -> dt.datetime:
        return today + (now - today) * fraction

    def days_ago(days: int, hour: int) -> dt.datetime:
        return ist_midnight(ist_today() - dt.timedelta(days=days)) + dt.timedelta(hours=hour)

    calls = [
        ("Ananya Reddy", "Outbound", 372, None, "Shared the quote; wants a demo on Thursday.",
         today_at(0.9)),
        ("Ananya Reddy", "Inbound", 145, None, "Asked about bulk pricing.", days_ago(2, 15)),
        ("Ananya Reddy", "Outbound", 0, "No Answer", None, days_ago(4, 11)),
        ("Rahul Verma", "Inbound", 0, None, None, today_at(0.6)),
        ("Rohan Das", "Inbound", 0, None, "Called from the IVR menu.", today_at(0.4)),
        ("Priya Iyer", "Outbound", 610, None, "Walked through the proposal.", today_at(0.75)),
        ("Vikram Singh", "Outbound", 95, "Voicemail", "Left a voicemail.", today_at(0.3)),
        ("Sneha Patel", "Inbound", 0, None, None, days_ago(1, 17)),
        ("Divya Menon", "Outbound", 240, None, "Clinic chain, 4 branches.", days_ago(3, 12)),
        ("Meera Joshi", "Outbound", 30, "Busy", None, days_ago(1, 10)),
    ]  # fmt: skip
    for name, call_type, seconds, outcome, notes, when in calls:
        call_log(actor=actor, lead_id=leads[name].pk, call_type=call_type, duration_seconds=seconds,
                 outcome=outcome, notes=notes, called_at=when)  # fmt: skip
    ananya = leads["Ananya Reddy"]
    note_text = "Decision maker is the CFO, Mr. Rao.\nBudget approved for Q3."
    note = lead_add_note(actor=actor, lead=ananya, text=note_text)
    Note.objects.filter(pk=note.pk).update(created_at=days_ago(2, 16))
    lead_update(actor=actor, lead=ananya, fields={"status": "Proposal"})
    lead_update(actor=actor, lead=ananya, fields={"notes": "Prefers WhatsApp after 6 pm."})
    Event.objects.filter(lead_id=ananya.pk, verb="lead.updated").update(occurred_at=today_at(0.95))
    # The timeline says a lead was created when it was, not when this ran. (Events are
    # immutable to the app; demo data writes its own past.)
    for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads.values()]):
        Event.objects.filter(lead_id=lead.pk, verb="lead.created").update(
            occurred_at=lead.created_at
        )

    # Follow-ups (the missed inbound calls above made their call-backs already).
    follow_ups = [
        ("Ananya Reddy", "Send the revised quote", days_ago(1, 11), "With the bulk pricing."),
        ("Priya Iyer", "Demo for the Nimbus team", today + dt.timedelta(hours=17), None),
        ("Meera Joshi", "Follow up on the proposal", days_ago(-6, 11), None),
    ]
    for name, title, due, notes in follow_ups:
        task_create(actor=actor, lead_id=leads[name].pk,
                    fields={"title": title, "due_at": due, "notes": notes})  # fmt: skip

    apikey_create(actor=actor, name="IVR integration", user=rep, can_read=True, can_write=True,
                  can_delete=False, allowed_ips=["203.0.113.7/32"],
                  rate_limit_per_minute=120)  # fmt: skip
    apikey_create(actor=actor, name="Weekly export", user=rep, can_read=True, can_write=False,
                  can_delete=False, allowed_ips=[], rate_limit_per_minute=None)  # fmt: skip
    return leads
