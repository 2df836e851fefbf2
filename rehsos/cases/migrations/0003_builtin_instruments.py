from django.db import migrations


def load(apps, schema_editor):
    from rehsos.cases.instruments.builtin import load_builtins

    load_builtins(
        apps.get_model("cases", "Instrument"), apps.get_model("cases", "InstrumentVersion")
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_reference_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
