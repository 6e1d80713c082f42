from django.db import migrations

# As pipelines.rules.DEFAULT_STAGES was when this migration was written (a migration must not
# change when the code does).
DEFAULT_STAGES = (
    ("New", 10),
    ("Contacted", 20),
    ("Qualified", 40),
    ("Proposal", 60),
    ("Won", 100),
    ("Lost", 0),
)


def create_default_pipeline(apps, schema_editor):
    """The pipeline every existing and new lead starts in: Sales, one stage per status."""
    Pipeline = apps.get_model("pipelines", "Pipeline")
    Stage = apps.get_model("pipelines", "Stage")
    if Pipeline.objects.filter(is_default=True).exists():
        return
    pipeline = Pipeline.objects.create(name="Sales", is_default=True)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=name, status=name, position=position, probability=chance)
        for position, (name, chance) in enumerate(DEFAULT_STAGES, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("pipelines", "0001_initial")]

    operations = [migrations.RunPython(create_default_pipeline, migrations.RunPython.noop)]
