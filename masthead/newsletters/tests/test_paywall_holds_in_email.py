"""A metered or subscribers-only story appears in an issue as its dek, lead-in and link: no locked text."""

import pytest

from masthead.content.models import Access
from masthead.newsletters.tests.conftest import body_html, body_text, confirmed, make_issue, make_newsletter, send_now

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("access", [Access.METERED, Access.SUBSCRIBERS])
def test_it_sends_only_the_lead_in_of_a_locked_story(smtp, newsroom, subscriber, access):
    story = newsroom.by_access(access)
    marker = {"metered": "metered", "subscribers": "subs"}[access]
    briefing = make_newsletter()
    confirmed(briefing, subscriber.email, reader=subscriber)  # even a subscriber's copy holds only the lead-in

    send_now(make_issue(briefing, [story]))

    message = smtp.to(subscriber.email)
    for part in (body_text(message), body_html(message)):
        assert story.title in part and story.dek in part
        assert f"http://127.0.0.1:8000{story.url}" in part
        # The factory's body: paragraphs of 40 words, "<marker>p<n>w<i>"; the lead-in is the first two.
        assert f"{marker}p0w0" in part and f"{marker}p1w39" in part
        for locked in range(2, 6):
            assert f"{marker}p{locked}w" not in part
        assert f"{marker} subheading" not in part


def test_it_cuts_at_the_live_bodys_lead_in_whatever_the_cache_holds(smtp, newsroom, subscriber):
    from django.core.cache import cache

    from masthead.metering.policy import current_rules

    story = newsroom.by_access(Access.SUBSCRIBERS)
    # A lead-in remembered for another body (a draft revision's cut, say) says the whole story is free to read.
    cache.set(f"article:lead-in:{story.pk}:{story.latest_revision_id}:{current_rules().version}", 99, 600)
    briefing = make_newsletter()
    confirmed(briefing, subscriber.email, reader=subscriber)

    send_now(make_issue(briefing, [story]))

    message = smtp.to(subscriber.email)
    for part in (body_text(message), body_html(message)):
        assert "subsp1w39" in part and "subsp2w" not in part
