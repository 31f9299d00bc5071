"""An editor previewing a draft never changes where the live story is cut for walled readers."""

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from masthead.content.tests import factories
from masthead.paywall.tests.conftest import read_all
from masthead.paywall.tests.test_bypass import assert_locked


def test_a_drafts_preview_leaves_the_live_lead_in_alone(visitor, story, other_stories):
    # A draft of short paragraphs: its lead-in needs many more blocks to reach the minimum words.
    page = story.page
    page.body = [factories.paragraph(factories.words(f"draft{n}w", 3)) for n in range(12)]
    page.save_revision()
    draft = page.get_latest_revision_as_object()
    preview = RequestFactory().get(page.url)
    preview.is_preview = True
    preview.user = AnonymousUser()
    draft.get_context(preview)  # what the admin's preview renders

    read_all(visitor, other_stories[:5])
    html = visitor.get(page.url).content.decode()

    assert_locked(html, story)
    assert all(word in html for word in story.lead_in_words())
