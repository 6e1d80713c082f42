# The browser UI sorts the leads list by name with keyset pagination on (name, id); this index
# serves that order (both directions) without sorting the table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["name", "id"], name="lead_name_idx"),
        ),
    ]
