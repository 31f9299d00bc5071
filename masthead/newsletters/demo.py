"""The demo's newsletters: a daily digest for everyone and a weekly letter for subscribers, with signups and a
draft issue to try the admin on."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from masthead.lib import clock
from masthead.newsletters.models import Audience, Issue, IssueArticle, Newsletter, Signup

SLUGS = ("morning-briefing", "insights-weekly")


@transaction.atomic
def ensure(*, now: dt.datetime | None = None) -> None:
    """Create the demo newsletters unless they are there with their signups (after ``demo --fresh`` they are not)."""
    if Signup.objects.filter(newsletter__slug=SLUGS[0]).exists():
        return
    Issue.objects.filter(newsletter__slug__in=SLUGS).delete()
    Newsletter.objects.filter(slug__in=SLUGS).delete()
    build(now=now or clock.now())


def build(*, now: dt.datetime) -> None:
    from masthead.content.models import ArticlePage, SectionPage
    from masthead.lib.dates import publication_zone
    from masthead.newsletters.rules import next_digest_at

    sections = list(SectionPage.objects.live().order_by("path"))
    morning = Newsletter.objects.create(
        name="The Morning Briefing",
        slug=SLUGS[0],
        description="The stories that matter this morning, from every desk, in five minutes.",
        cadence="Every morning at 7",
        opt_in_by_default=True,
        position=1,
        digest_enabled=True,
        digest_time=dt.time(7, 0),
        digest_count=6,
        digest_next_at=next_digest_at(now, at=dt.time(7, 0), weekdays=range(7), zone=publication_zone()),
    )
    morning.digest_sections.set(sections)
    weekly = Newsletter.objects.create(
        name="Insights Weekly",
        slug=SLUGS[1],
        description="Our analysts' reading of the week in politics, business and the economy. For subscribers.",
        cadence="Every Friday",
        audience=Audience.SUBSCRIBERS,
        position=2,
    )
    users = {user.email: user for user in get_user_model().objects.filter(email__endswith="@example.com")}
    for email, newsletters in (
        ("reader@example.com", [morning]),
        ("subscriber@example.com", [morning, weekly]),
    ):
        for newsletter in newsletters:
            Signup.objects.create(
                newsletter=newsletter,
                email=email,
                reader=users.get(email),
                status=Signup.Status.CONFIRMED,
                source="demo",
                created_at=now,
                confirmed_at=now,
            )
    Signup.objects.create(
        newsletter=morning,
        email="early.riser@example.net",
        status=Signup.Status.CONFIRMED,
        source="demo",
        created_at=now,
        confirmed_at=now,
    )
    draft = Issue.objects.create(
        newsletter=weekly,
        subject="The week in three stories",
        intro="Three stories our editors think you should not miss this week.\n\nThank you for subscribing.",
    )
    for position, article in enumerate(ArticlePage.objects.live().order_by("-first_published_at")[:3]):
        IssueArticle.objects.create(issue=draft, article=article, sort_order=position)
