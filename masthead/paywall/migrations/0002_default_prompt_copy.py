from django.db import migrations


def forwards(apps, schema_editor):
    from masthead.paywall.prompts import DEFAULT_COPY

    PromptCopy = apps.get_model("paywall", "PromptCopy")
    for kind, (heading, message, label) in DEFAULT_COPY.items():
        PromptCopy.objects.get_or_create(
            kind=kind.value, defaults={"heading": heading, "message": message, "button_label": label}
        )


class Migration(migrations.Migration):
    dependencies = [("paywall", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
