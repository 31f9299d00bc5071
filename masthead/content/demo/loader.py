"""Builds the demo newsroom: the page tree, authors, images, stories and demo accounts."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.images.models import Image
from wagtail.models import Page, Site

from masthead.content.demo import images, parse
from masthead.content.models import ArticleByline, ArticlePage, Author, HomePage, SectionPage
from masthead.lib import clock
from masthead.lib.dates import publication_zone

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "readthenews"  # noqa: S105 - documented demo password, demo mode only
DEMO_ACCOUNTS = [
    # email, groups, superuser, what it is for
    ("admin@example.com", [], True, "site administrator (everything)"),
    ("editor@example.com", ["Editors"], False, "Editors: review, publish and schedule"),
    ("reporter@example.com", ["Reporters"], False, "Reporters: write and submit for review"),
    ("reader@example.com", [], False, "registered reader, no subscription"),
    ("subscriber@example.com", [], False, "subscriber"),
    ("lapsed@example.com", [], False, "subscriber whose renewal failed"),
]
IMAGE_COUNT = 8


def is_seeded() -> bool:
    return HomePage.objects.exists()


def site_root() -> Page:
    return Page.objects.get(depth=1)


@transaction.atomic
def reset() -> None:
    """Remove everything the demo creates, so it can be built again."""
    from masthead.billing import demo as billing_demo

    for home in HomePage.objects.all():
        home.delete()
    Site.objects.all().delete()
    ArticleByline.objects.all().delete()
    Author.objects.all().delete()
    Image.objects.all().delete()
    billing_demo.reset()
    get_user_model().objects.all().delete()


def local_time(days_ago: int, hour: int, now: dt.datetime) -> dt.datetime:
    """``hour`` o'clock in the publication's zone, ``days_ago`` days before today there."""
    zone = publication_zone()
    day = now.astimezone(zone).date() - dt.timedelta(days=days_ago)
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
    return min(moment, now - dt.timedelta(minutes=5)).astimezone(dt.UTC)


@transaction.atomic
def build(*, now: dt.datetime | None = None) -> HomePage:
    """Create the demo newsroom. Returns the front page."""
    now = now or clock.now()
    data = parse.newsroom()
    home = _home(data["publication"])
    sections = {s["slug"]: _section(home, s) for s in data["sections"]}
    authors = {a["slug"]: _author(a) for a in data["authors"]}
    pictures = [_image(seed) for seed in range(IMAGE_COUNT)]
    for index, item in enumerate(parse.articles()):
        _article(sections[item.section], item, [authors[slug] for slug in item.authors], pictures, index, now)
    _accounts(now)
    return home


def _home(publication: dict) -> HomePage:
    home = ensure_front_page(publication["name"], strapline=publication.get("tagline", ""))
    home.save_revision().publish()
    return home


def ensure_front_page(title: str, *, strapline: str = "") -> HomePage:
    """The site's front page, created (replacing Wagtail's placeholder) when there is none."""
    existing = HomePage.objects.first()
    if existing is not None:
        return existing
    root = site_root()
    for child in root.get_children():
        # Wagtail's placeholder "Welcome" page gives way to the front page.
        if not isinstance(child.specific, HomePage):
            child.delete()
    home = root.add_child(instance=HomePage(title=title, slug="home", strapline=strapline))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": title},
    )
    return home


def _section(home: HomePage, data: dict) -> SectionPage:
    section = home.add_child(
        instance=SectionPage(title=data["title"], slug=data["slug"], intro=data.get("intro", ""), show_in_menus=True)
    )
    section.save_revision().publish()
    return section


def _author(data: dict) -> Author:
    return Author.objects.create(
        slug=data["slug"], name=data["name"], role=data.get("role", ""), bio=data.get("bio", "")
    )


def _image(seed: int) -> Image:
    from io import BytesIO

    picture = Image(title=f"Newsroom illustration {seed + 1}")
    picture.file = ImageFile(BytesIO(images.draw(seed)), name=f"illustration-{seed + 1}.jpg")
    picture.save()
    return picture


def _article(section, item: parse.DemoArticle, authors, pictures, index: int, now: dt.datetime) -> ArticlePage:
    published = local_time(item.days_ago, item.hour, now)
    has_image = index % 5 != 4  # most stories carry a picture; a few run text-only
    article = ArticlePage(
        title=item.headline,
        slug=item.slug,
        dek=item.dek,
        dateline=item.dateline,
        region=item.region,
        access=item.access,
        body=item.body,
        lead_image=pictures[index % len(pictures)] if has_image else None,
        lead_image_caption="An illustration for this story." if has_image else "",
        lead_image_credit="The Daily Lantern graphics desk" if has_image else "",
        search_description=item.dek,
    )
    for author in authors:
        article.bylines.add(ArticleByline(author=author))
    section.add_child(instance=article)
    article.topics.add(*item.topics)
    article.save()
    article.save_revision().publish()
    ArticlePage.objects.filter(pk=article.pk).update(first_published_at=published, last_published_at=published)
    return article


def _accounts(now: dt.datetime) -> None:
    from masthead.accounts.actions import account_email_verify
    from masthead.billing import demo as billing_demo

    User = get_user_model()
    made = {}
    for email, groups, superuser, _purpose in DEMO_ACCOUNTS:
        if superuser:
            user = User.objects.create_superuser(email=email, password=DEMO_PASSWORD)
        else:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD)
        account_email_verify(reader=user)
        if groups:
            user.groups.set(Group.objects.filter(name__in=groups))
        made[email] = user
    billing_demo.build(now=now, subscriber=made["subscriber@example.com"], lapsed=made["lapsed@example.com"])
