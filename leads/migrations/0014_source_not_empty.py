from django.db import migrations, models

DEFAULT_SOURCE = "API"  # leads.rules.DEFAULT_SOURCE when this was written


def name_blank_sources(apps, schema_editor):
    """A lead with a blank source (none can be made since sources are required, but a database
    may hold one from before) gets the default source. The counts read a blank source as "any
    source": the leads' are counted again, and the calls' move with their leads through
    leads.tally.regrouped, as when a lead's source changes. (Its receiver, calls.tally, runs
    the app's code: it must keep working on the tables as they are at this migration, which
    tests/leads/test_migrations.py holds it to.)"""
    from leads.tally import key_of, rebuild, regrouped

    lead = apps.get_model("leads", "Lead")
    blank = lead.objects.filter(source="")
    moves = [
        (pk,
         key_of(created_at, assignee, stage, "", priority, value, furthest),
         key_of(created_at, assignee, stage, DEFAULT_SOURCE, priority, value, furthest))
        for pk, created_at, assignee, stage, priority, value, furthest in blank.values_list(
            "pk", "created_at", "assigned_to_id", "stage_id", "priority", "deal_value",
            "furthest_stage_id",
        )
    ]  # fmt: skip
    if not moves:
        return
    blank.update(source=DEFAULT_SOURCE)
    regrouped.send(sender=lead, moves=moves)
    rebuild(lead, apps.get_model("leads", "LeadTally"))


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0003_call_tally"),
        ("leads", "0013_tally_value_digits"),
    ]

    operations = [
        migrations.RunPython(name_blank_sources, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.CheckConstraint(
                condition=models.Q(("source", ""), _negated=True), name="lead_source_not_empty"
            ),
        ),
    ]
