from django.db import migrations

# Editors compose and send issues, and look after the lists; they read signups and suppressions.
GRANTS = {
    "issue": ("add", "change", "delete", "view"),
    "issuearticle": ("add", "change", "delete", "view"),
    "newsletter": ("add", "change", "view"),
    "signup": ("view",),
    "suppression": ("add", "view"),
}


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    granted = []
    for model, verbs in GRANTS.items():
        kind, _ = ContentType.objects.get_or_create(app_label="newsletters", model=model)
        for verb in verbs:
            permission, _ = Permission.objects.get_or_create(
                content_type=kind, codename=f"{verb}_{model}", defaults={"name": f"Can {verb} {model}"}
            )
            granted.append(permission)
    for group in Group.objects.filter(name="Editors"):
        group.permissions.add(*granted)


class Migration(migrations.Migration):
    dependencies = [("newsletters", "0001_initial"), ("content", "0002_newsroom_groups")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
