"""Load the Kemendagri regions shipped in rehsos/regions/data (idn-area-data, ODbL)."""

from django.db import migrations

from rehsos.regions.loader import load_regions, unload_regions


def load(apps, schema_editor):
    load_regions(schema_editor.connection, model=apps.get_model("regions", "Region"))


def unload(apps, schema_editor):
    unload_regions(schema_editor.connection, model=apps.get_model("regions", "Region"))


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0002_name_prefix_indexes"),
    ]

    operations = [
        migrations.RunPython(load, unload, elidable=False),
    ]
