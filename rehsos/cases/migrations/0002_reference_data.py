from django.db import migrations


def load(apps, schema_editor):
    from rehsos.cases import reference

    reference.load(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
