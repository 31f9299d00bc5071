"""Reporters write and submit; Editors approve and publish."""

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from masthead.content.models import ArticlePage
from masthead.content.tests import factories


def draft(newsroom):
    return factories.article(newsroom.politics, title="A draft from the desk", live=False)


def test_it_lets_reporters_write_but_not_publish(newsroom, reporter):
    story = draft(newsroom)
    permissions = story.permissions_for_user(reporter)
    assert permissions.can_edit()
    assert permissions.can_add_subpage() is False  # articles have no children
    assert newsroom.politics.permissions_for_user(reporter).can_add_subpage()
    assert not permissions.can_publish()
    assert not permissions.can_unpublish()


def test_it_lets_editors_publish_and_unpublish(newsroom, editor):
    permissions = newsroom.by_access("metered").permissions_for_user(editor)
    assert permissions.can_publish()
    assert permissions.can_unpublish()


def test_it_routes_a_reporters_submission_to_the_editors(newsroom, reporter, editor):
    story = draft(newsroom)
    workflow = story.get_workflow()
    assert workflow.name == "Editorial review"
    workflow.start(story, reporter)
    story.refresh_from_db()
    task_state = story.current_workflow_task_state
    assert task_state.task.name == "Editor approval"
    assert not task_state.task.specific.user_can_access_editor(story, reporter) or not story.live
    assert [action[0] for action in task_state.task.specific.get_actions(story, editor)][:1] == ["reject"]
    assert task_state.task.specific.get_actions(story, reporter) == []

    task_state.task.specific.on_action(task_state, editor, "approve")
    story.refresh_from_db()
    assert story.live


def test_a_reporter_cannot_publish_through_the_admin(client, newsroom, reporter):
    story = draft(newsroom)
    byline = story.bylines.first()
    client.force_login(reporter)
    form = client.get(f"/admin/pages/{story.pk}/edit/")
    assert form.status_code == 200
    assert b'name="action-publish"' not in form.content
    data = nested_form_data(
        {
            "title": "Rewritten headline",
            "slug": story.slug,
            "dek": story.dek,
            "access": "metered",
            "body": streamfield([("paragraph", rich_text("<p>Fresh copy.</p>"))]),
            "bylines": inline_formset([{"id": byline.pk, "author": byline.author_id}]),
            "action-publish": "action-publish",
        }
    )
    client.post(f"/admin/pages/{story.pk}/edit/", data)
    story = ArticlePage.objects.get(pk=story.pk)
    assert not story.live
    # The reporter's edit is kept as a draft revision, unpublished.
    assert story.get_latest_revision_as_object().title in ("Rewritten headline", "A draft from the desk")


def test_visitors_and_readers_cannot_reach_the_admin(client, reader):
    assert client.get("/admin/").status_code == 302
    client.force_login(reader)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)


def test_the_admin_refuses_the_same_author_twice_with_a_clear_error(client, newsroom, editor):
    story = newsroom.by_access("metered")
    byline = story.bylines.first()
    client.force_login(editor)
    data = nested_form_data(
        {
            "title": story.title,
            "slug": story.slug,
            "dek": story.dek,
            "access": "metered",
            "body": streamfield([("paragraph", rich_text("<p>Copy.</p>"))]),
            "bylines": inline_formset([{"id": byline.pk, "author": byline.author_id}, {"author": byline.author_id}]),
        }
    )
    response = client.post(f"/admin/pages/{story.pk}/edit/", data)
    assert response.status_code == 200
    assert b"appears twice in the bylines" in response.content
    assert story.bylines.count() == 1
