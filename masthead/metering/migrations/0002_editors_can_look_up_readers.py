from django.db import migrations


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    kind, _ = ContentType.objects.get_or_create(app_label="metering", model="decisionevent")
    view, _ = Permission.objects.get_or_create(
        content_type=kind, codename="view_decisionevent", defaults={"name": "Can view decision event"}
    )
    for group in Group.objects.filter(name="Editors"):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [("metering", "0001_initial"), ("content", "0002_newsroom_groups")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
