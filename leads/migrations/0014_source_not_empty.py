from django.db import migrations, models


def name_blank_sources(apps, schema_editor):
    """A lead with a blank source (none can be made since sources are required, but a database
    may hold one from before) gets the default source, and the leads' and calls' counts, which
    read a blank source as "any", are counted again."""
    from calls.tally import rebuild as count_calls
    from leads.tally import rebuild as count_leads

    lead = apps.get_model("leads", "Lead")
    if lead.objects.filter(source="").update(source="API"):
        count_leads(lead, apps.get_model("leads", "LeadTally"))
        count_calls(apps.get_model("calls", "CallLog"), apps.get_model("calls", "CallTally"))


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
