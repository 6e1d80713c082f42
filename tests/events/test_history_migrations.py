"""The history recorded before the event stream moves into it: the audit log's rows become
events (events.0002) and the timeline's notes become Notes (leads.0004)."""

import datetime as dt
import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from events.models import Event
from leads.models import Lead, Note
from tests.factories import make_call, make_key, make_lead

copy_audit = importlib.import_module("events.migrations.0002_history_from_the_audit_log")

OLD_AUDIT_TABLE = """
CREATE TABLE audit_auditlog (
    id integer PRIMARY KEY, action varchar(40) NOT NULL, object_type varchar(20) NOT NULL,
    object_id varchar(64) NOT NULL, object_repr varchar(200) NOT NULL, user_id bigint NULL,
    user_email varchar(254) NOT NULL, api_key_id bigint NULL, api_key_label varchar(200) NOT NULL,
    ip varchar(39) NULL, changes text NOT NULL, created_at timestamp with time zone NOT NULL
)
"""


def audit_row(id_, action, object_type, object_id, *, changes=None, user=None, key=None):
    return (
        id_, action, object_type, str(object_id), f"repr {id_}", user.pk if user else None,
        user.email if user else "", key.pk if key else None, str(key) if key else "",
        "203.0.113.9", json.dumps(changes or {}), dt.datetime(2026, 3, 1, 10, id_, tzinfo=dt.UTC),
    )  # fmt: skip


@pytest.mark.django_db
def test_the_audit_log_becomes_events_and_its_table_goes(admin_user):
    lead = make_lead(name="Asha")
    call = make_call(lead)
    key, _ = make_key(admin_user)
    before = set(Event.objects.values_list("pk", flat=True))
    rows = [
        audit_row(1, "lead.create", "lead", lead.pk, key=key, user=admin_user),
        audit_row(2, "lead.status", "lead", lead.pk, changes={"status": ["New", "Won"]},
                  user=admin_user),
        audit_row(3, "lead.note", "lead", lead.pk, changes={"note": "Call after 5"},
                  user=admin_user),
        audit_row(4, "call.create", "calllog", call.pk,
                  changes={"lead_id": str(lead.pk), "outcome": "Missed"}, user=admin_user),
        audit_row(5, "apikey.update", "apikey", key.pk,
                  changes={"name": ["a", "b"]}, user=admin_user),
        audit_row(6, "lead.delete", "lead", "0b5e3c5a-7f0e-4d2b-9a51-6f2d8c3e1a47",
                  changes={"name": "Gone", "phone": "+919800000000", "email": None}),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        create = OLD_AUDIT_TABLE
        if connection.vendor == "sqlite":
            create = create.replace("timestamp with time zone", "datetime")
        cursor.execute(create)
        cursor.executemany(
            "INSERT INTO audit_auditlog VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    copy_audit.copy_audit_log(current_apps, SimpleNamespace(connection=connection))

    assert "audit_auditlog" not in connection.introspection.table_names()
    events = Event.objects.exclude(pk__in=before).order_by("occurred_at")
    assert [event.verb for event in events] == [
        "lead.created", "lead.updated", "lead.note_added", "call_log.created", "api_key.updated",
        "lead.deleted",
    ]  # fmt: skip
    created, status, note, called, key_edit, deleted = events
    assert (created.channel, created.api_key, created.actor) == ("api", key, admin_user)
    assert created.lead_id == lead.pk
    assert created.occurred_at == dt.datetime(2026, 3, 1, 10, 1, tzinfo=dt.UTC)
    assert str(created.ip) == "203.0.113.9"
    assert (status.channel, status.changes) == ("web", {"status": ["New", "Won"]})
    assert note.changes == {"text": [None, "Call after 5"]}
    assert (called.subject_type, called.lead_id) == ("call_log", lead.pk)
    assert called.changes == {"outcome": [None, "Missed"]}
    assert (key_edit.subject_type, key_edit.lead_id) == ("api_key", None)
    assert deleted.channel == "system"
    assert deleted.changes["name"] == ["Gone", None]


@pytest.mark.django_db
def test_without_an_old_audit_log_there_is_nothing_to_copy():
    copy_audit.copy_audit_log(current_apps, SimpleNamespace(connection=connection))
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_timeline_notes_become_notes_and_the_rest_of_the_timeline_goes(admin_user):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("leads")
    executor.migrate([("leads", "0003_lead_and_activity_checks")])
    try:
        old = executor.loader.project_state([("leads", "0003_lead_and_activity_checks")]).apps
        OldLead = old.get_model("leads", "Lead")
        Activity = old.get_model("leads", "Activity")
        lead = OldLead.objects.create(name="Asha", phone="+919800000001",
                                      phone_e164="+919800000001")  # fmt: skip
        when = dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC)
        Activity.objects.create(lead=lead, kind="note", message="Prefers mornings",
                                actor_id=admin_user.pk, created_at=when)  # fmt: skip
        Activity.objects.create(lead=lead, kind="created", message="Lead created via the web app.")
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    note = Note.objects.get()
    assert (note.lead_id, note.text, note.author, note.created_at) == (
        lead.pk, "Prefers mornings", admin_user, when,
    )  # fmt: skip
    assert "leads_activity" not in connection.introspection.table_names()
    assert Lead.objects.get().name == "Asha"
