from django.db import migrations, models

from leads.rules import name_key

BATCH = 2000


def fill_name_keys(apps, schema_editor):
    """Derive the sort key of the leads that exist (saves derive it from now on)."""
    Lead = apps.get_model("leads", "Lead")
    batch = []
    for lead in Lead.objects.only("id", "name").iterator(chunk_size=BATCH):
        lead.name_key = name_key(lead.name)
        batch.append(lead)
        if len(batch) == BATCH:
            Lead.objects.bulk_update(batch, ["name_key"])
            batch = []
    Lead.objects.bulk_update(batch, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0011_funnel_cells"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=400),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=False),
        migrations.RemoveIndex(
            model_name="lead",
            name="lead_name_idx",
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["name_key", "id"], name="lead_name_key_idx"),
        ),
    ]
