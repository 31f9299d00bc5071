import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Fixed here, as the migration must always fill the buckets the same way: the value of
# masthead.metering.events.READER_BUCKETS when this migration was written.
READER_BUCKETS = 32
CHUNK = 5_000


def fill_buckets(apps, schema_editor):
    import zlib

    DecisionEvent = apps.get_model("metering", "DecisionEvent")
    last = 0
    while True:
        rows = list(DecisionEvent.objects.filter(pk__gt=last).order_by("pk").only("pk", "reader_key")[:CHUNK])
        if not rows:
            return
        for row in rows:
            row.reader_bucket = zlib.crc32(row.reader_key.encode()) % READER_BUCKETS
        DecisionEvent.objects.bulk_update(rows, ["reader_bucket"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0002_editors_can_look_up_readers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="decisionevent",
            name="reader_bucket",
            field=models.PositiveSmallIntegerField(default=0, editable=False, help_text="reader_bucket(reader_key)"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_buckets, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="decisionevent", name="decision_by_reader"),
        migrations.AddIndex(
            model_name="decisionevent",
            index=models.Index(fields=["reader_bucket", "-at", "reader_key"], name="decision_by_reader_bucket"),
        ),
        migrations.AlterField(
            model_name="decisionevent",
            name="account",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
