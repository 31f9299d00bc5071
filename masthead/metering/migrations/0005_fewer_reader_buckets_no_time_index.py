from importlib import import_module

from django.conf import settings
from django.db import migrations
from django.db.models import F

# Fixed here, as the migration must always regroup the rows the same way: the bucket counts
# before and after (masthead.metering.events.READER_BUCKETS when this migration was written).
# A bucket is crc32(reader key) % buckets, and 8 divides 32, so crc % 32 % 8 == crc % 8: the
# new bucket of every row is its old one modulo 8, without reading a key.
BEFORE = 32
READER_BUCKETS = 8


def regroup(apps, schema_editor):
    DecisionEvent = apps.get_model("metering", "DecisionEvent")
    DecisionEvent.objects.filter(reader_bucket__gte=READER_BUCKETS).update(reader_bucket=F("reader_bucket") % READER_BUCKETS)


def ungroup(apps, schema_editor):
    # Back to 32 buckets: recomputed from the keys, as migration 0003 first filled them.
    import_module("masthead.metering.migrations.0003_decisions_by_reader_bucket").fill_buckets(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("metering", "0004_signed_in_decisions_by_account"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(regroup, ungroup),
        migrations.RemoveIndex(model_name="decisionevent", name="decision_by_time"),
    ]
