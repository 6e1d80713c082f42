from django.db import migrations
from django.db.models import F


def place_leads(apps, schema_editor):
    """Every existing lead goes to the default pipeline's stage of its status; it entered it
    when it last changed (the best guess there is)."""
    Lead = apps.get_model("leads", "Lead")
    Stage = apps.get_model("pipelines", "Stage")
    for stage in Stage.objects.filter(pipeline__is_default=True).order_by("-position"):
        Lead.objects.filter(status=stage.status).update(
            stage=stage, stage_entered_at=F("updated_at")
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0006_lead_stage")]

    operations = [migrations.RunPython(place_leads, migrations.RunPython.noop)]
