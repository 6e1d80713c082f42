"""The audit log (the retired `audit` app's table, audit_auditlog) becomes the first events.

Every row there is one change; its action names the verb, its object the subject, and for
calls the lead comes from the row's changes. The old app is no longer installed, so the table
is read with plain SQL, when it exists (a database made after this release never had it), and
dropped once copied."""

import datetime as dt
import json

from django.db import migrations

VERBS = {
    "lead.create": "lead.created",
    "lead.merge": "lead.merged",
    "lead.update": "lead.updated",
    "lead.status": "lead.updated",
    "lead.assign": "lead.updated",
    "lead.note": "lead.note_added",
    "lead.delete": "lead.deleted",
    "call.create": "call_log.created",
    "call.delete": "call_log.deleted",
    "apikey.create": "api_key.created",
    "apikey.update": "api_key.updated",
    "apikey.regenerate": "api_key.regenerated",
    "apikey.revoke": "api_key.revoked",
}
SUBJECT_TYPES = {"lead": "lead", "calllog": "call_log", "apikey": "api_key"}
COLUMNS = (
    "id, action, object_type, object_id, object_repr, user_id, user_email, api_key_id, "
    "api_key_label, ip, changes, created_at"
)


def event_from_audit_row(row: dict) -> dict | None:
    """One audit row as the fields of an Event (None for an action this release never wrote)."""
    verb = VERBS.get(row["action"])
    if verb is None:
        return None
    changes = row["changes"]
    if isinstance(changes, str):
        changes = json.loads(changes or "{}")
    changes = changes or {}
    subject_type = SUBJECT_TYPES.get(row["object_type"], row["object_type"])
    lead_id = None
    if subject_type == "lead":
        lead_id = row["object_id"]
    elif subject_type == "call_log":
        lead_id = changes.pop("lead_id", None)
    if verb == "lead.note_added":
        changes = {"text": [None, changes.get("note")]}
    elif verb in ("lead.deleted",):
        changes = {name: [value, None] for name, value in changes.items()}
    elif verb in ("call_log.created", "api_key.created"):
        changes = {name: [None, value] for name, value in changes.items()}
    if verb == "lead.note_added":
        subject_type = "note"  # the note itself was not named by the old log
    occurred_at = row["created_at"]
    if isinstance(occurred_at, str):
        occurred_at = dt.datetime.fromisoformat(occurred_at)
    if occurred_at.tzinfo is None:  # SQLite hands back the stored UTC time without its zone
        occurred_at = occurred_at.replace(tzinfo=dt.UTC)
    return {
        "occurred_at": occurred_at,
        "verb": verb,
        "subject_type": subject_type,
        "subject_id": row["object_id"],
        "subject_repr": row["object_repr"] or "",
        "lead_id": lead_id,
        "changes": changes,
        "channel": "api" if row["api_key_label"] else ("web" if row["user_id"] else "system"),
        "actor_id": row["user_id"],
        "actor_email": row["user_email"] or "",
        "api_key_id": row["api_key_id"],
        "api_key_label": row["api_key_label"] or "",
        "ip": row["ip"],
    }


def copy_audit_log(apps, schema_editor):
    connection = schema_editor.connection
    if "audit_auditlog" not in connection.introspection.table_names():
        return
    Event = apps.get_model("events", "Event")
    User = apps.get_model("accounts", "User")
    APIKey = apps.get_model("apikeys", "APIKey")
    users = set(User.objects.values_list("pk", flat=True))
    keys = set(APIKey.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM audit_auditlog ORDER BY id")  # noqa: S608
        names = [column[0] for column in cursor.description]
        batch = []
        for values in cursor.fetchall():
            fields = event_from_audit_row(dict(zip(names, values, strict=True)))
            if fields is None:
                continue
            if fields["actor_id"] not in users:
                fields["actor_id"] = None
            if fields["api_key_id"] not in keys:
                fields["api_key_id"] = None
            batch.append(Event(**fields))
        Event.objects.bulk_create(batch, batch_size=2000)
        cursor.execute("DROP TABLE audit_auditlog")


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("accounts", "0001_initial"),
        ("apikeys", "0002_allowlist_validated"),
    ]

    operations = [
        # Not reversible: the old table and app are gone; the events keep all they said.
        migrations.RunPython(copy_audit_log, migrations.RunPython.noop, elidable=False),
    ]
