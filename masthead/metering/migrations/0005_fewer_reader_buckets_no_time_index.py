from django.conf import settings
from django.db import migrations
from django.db.models import F

# Fixed here, as the migration must always regroup the rows the same way: the bucket counts
# before and after (masthead.metering.events.READER_BUCKETS when this migration was written).
# A bucket is crc32(reader key) % buckets, and 8 divides 32, so crc % 32 % 8 == crc % 8: the
# new bucket of every row is its old one modulo 8, without reading a key.
BEFORE = 32
READER_BUCKETS = 8
CHUNK = 5_000


def regroup(apps, schema_editor):
    DecisionEvent = apps.get_model("metering", "DecisionEvent")
    DecisionEvent.objects.filter(reader_bucket__gte=READER_BUCKETS).update(reader_bucket=F("reader_bucket") % READER_BUCKETS)


def ungroup(apps, schema_editor):
    import zlib

    DecisionEvent = apps.get_model("metering", "DecisionEvent")
    last = 0
    while True:
        rows = list(DecisionEvent.objects.filter(pk__gt=last).order_by("pk").only("pk", "reader_key")[:CHUNK])
        if not rows:
            return
        for row in rows:
            row.reader_bucket = zlib.crc32(row.reader_key.encode()) % BEFORE
        DecisionEvent.objects.bulk_update(rows, ["reader_bucket"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0004_signed_in_decisions_by_account"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(regroup, ungroup),
        migrations.RemoveIndex(model_name="decisionevent", name="decision_by_time"),
    ]
