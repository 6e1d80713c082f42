import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_place_leads")]

    operations = [
        migrations.AlterField(
            model_name="lead",
            name="stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="leads",
                to="pipelines.stage",
            ),
        ),
    ]
