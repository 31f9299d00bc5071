"""The newsroom's groups and its moderation workflow.

Reporters write and submit stories for review; Editors approve, publish,
schedule and unpublish. Wagtail's stock "Moderators" group gives way to
Editors, and its default workflow becomes "Editorial review".
"""

from django.db import migrations

PAGE_PERMISSIONS = {
    "Reporters": ["add_page", "change_page", "view_page"],
    "Editors": ["add_page", "change_page", "view_page", "publish_page", "lock_page", "unlock_page", "delete_page"],
}
AUTHOR_PERMISSIONS = {
    "Reporters": ["view_author"],
    "Editors": ["add_author", "change_author", "delete_author", "view_author"],
}
COMMON = ["access_admin", "add_image", "change_image", "choose_image", "choose_document"]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")

    root = Page.objects.get(depth=1)
    page_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    author_type, _ = ContentType.objects.get_or_create(app_label="content", model="author")
    for action in ("add", "change", "delete", "view"):
        Permission.objects.get_or_create(
            content_type=author_type, codename=f"{action}_author", defaults={"name": f"Can {action} author"}
        )

    Group.objects.filter(name="Moderators").delete()
    for name in ("Reporters", "Editors"):
        group, _ = Group.objects.get_or_create(name=name)
        GroupPagePermission.objects.filter(group=group).delete()
        for codename in PAGE_PERMISSIONS[name]:
            GroupPagePermission.objects.create(
                group=group, page=root, permission=Permission.objects.get(content_type=page_type, codename=codename)
            )
        group.permissions.add(
            *Permission.objects.filter(codename__in=COMMON),
            *Permission.objects.filter(content_type=author_type, codename__in=AUTHOR_PERMISSIONS[name]),
        )

    editors = Group.objects.get(name="Editors")
    Workflow.objects.all().delete()
    GroupApprovalTask.objects.all().delete()
    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.create(name="Editor approval", content_type=task_type, active=True)
    task.groups.set([editors])
    workflow = Workflow.objects.create(name="Editorial review", active=True)
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})

    ContentGeneration = apps.get_model("content", "ContentGeneration")
    ContentGeneration.objects.get_or_create(pk=1, defaults={"value": 0})


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
