"""Fewer indexes on persons and their events: each one is paid for by every write.

The blind indexes (NIK, KK) and the village get named Meta indexes instead of
``db_index`` (whose PostgreSQL ``varchar_pattern_ops`` twin nothing used; the
village's pattern-ops index serves equality and the region prefix filter alike);
the province index goes (the (province_code, facility) index serves it), the
merged-into index keeps only merged records, and an event's person is served by
the (person, -at) index. The old indexes are dropped in place: altering the fields
would rebuild the table on SQLite and re-check the foreign keys on PostgreSQL.

An import also records the persons it created and has not yet put into the search
index (``ImportBatch.unindexed``).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, column) whose single-column indexes from db_index are dropped.
FIELD_INDEXES = (
    ("person", "nik_index"),
    ("person", "kk_index"),
    ("person", "province_code"),
    ("person", "village"),
    ("person", "merged_into"),
    ("personevent", "person"),
)

# The Meta indexes this migration declares (never dropped here).
DECLARED = {
    "person_village_idx",
    "person_nik_index_idx",
    "person_kk_index_idx",
    "person_merged_into_idx",
}


def drop_field_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for model_name, field_name in FIELD_INDEXES:
            model = apps.get_model("registry", model_name)
            table = model._meta.db_table
            column = model._meta.get_field(field_name).column
            found = connection.introspection.get_constraints(cursor, table)
            for name, about in found.items():
                if (
                    name not in DECLARED
                    and about["index"]
                    and not about["unique"]
                    and not about["primary_key"]
                    and about["columns"] == [column]
                ):
                    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_field_indexes(apps, schema_editor):
    for model_name, field_name in FIELD_INDEXES:
        model = apps.get_model("registry", model_name)
        field = model._meta.get_field(field_name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
        like_sql = getattr(schema_editor, "_create_like_index_sql", None)  # PostgreSQL's
        like = like_sql(model, field) if like_sql else None
        if like is not None:
            schema_editor.execute(like)


class Migration(migrations.Migration):
    dependencies = [
        ("facilities", "0001_initial"),
        ("regions", "0003_load_regions"),
        ("registry", "0005_import_ranges"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="unindexed",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="[first, last] id ranges of the persons this import created that "
                "are not in the search index yet: they are indexed after the last batch.",
            ),
        ),
        migrations.RemoveIndex(
            model_name="person",
            name="registry_pe_village_af17b0_idx",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_field_indexes, create_field_indexes),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="person",
                    name="kk_index",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="merged_into",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="merged_from",
                        to="registry.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="nik_index",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="province_code",
                    field=models.CharField(editable=False, max_length=2, verbose_name="province"),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="village",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regions.region",
                        verbose_name="village",
                    ),
                ),
                migrations.AlterField(
                    model_name="personevent",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="registry.person",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["village"], name="person_village_idx", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["nik_index"], name="person_nik_index_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["kk_index"], name="person_kk_index_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="person_merged_into_idx",
            ),
        ),
    ]
