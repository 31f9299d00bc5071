"""Synthetic content at scale, for load tests: plausible shape, meaningless words."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from masthead.content.demo.loader import ensure_front_page
from masthead.content.models import Access, ArticleByline, ArticlePage, Author, SectionPage
from masthead.lib import clock

VOCABULARY = (
    "council budget harbour rail ministry survey market export rate inflation wage tariff grid solar "
    "reactor climate storm coast harvest rice fishery port union strike court ruling bill election "
    "district mayor school hospital clinic research study sensor chip factory startup investor bank "
    "yen bond deficit growth forecast report audit inquiry witness statement museum library festival "
    "season river valley bridge tunnel highway airport ferry satellite software network data privacy"
).split()
ACCESS_MIX = [Access.METERED] * 8 + [Access.FREE, Access.SUBSCRIBERS]
BATCH = 200


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(9, 22))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 5)))


def _body(rng: random.Random) -> list[dict]:
    blocks = []
    for n in range(rng.randint(8, 14)):
        if n and n % 4 == 0:
            blocks.append({"type": "subheading", "value": _sentence(rng)[:-1][:80]})
        blocks.append({"type": "paragraph", "value": f"<p>{_paragraph(rng)}</p>"})
    return blocks


def seed_articles(count: int, *, seed: int = 1, progress: Callable[[int], None] | None = None) -> int:
    """Publish ``count`` synthetic articles across the sections; returns how many were made."""
    rng = random.Random(seed)  # noqa: S311 - filler text, not secrets
    home = ensure_front_page("Load Test Times")
    sections = list(SectionPage.objects.child_of(home)) or [
        home.add_child(instance=SectionPage(title=f"Desk {n}", slug=f"desk-{n}")) for n in range(1, 6)
    ]
    authors = list(Author.objects.all()[:20]) or [
        Author.objects.create(name=f"Staff Writer {n}", slug=f"staff-writer-{n}") for n in range(1, 11)
    ]
    now = clock.now()
    made = 0
    start = ArticlePage.objects.count()
    while made < count:
        with transaction.atomic():
            for _ in range(min(BATCH, count - made)):
                number = start + made + 1
                published = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 365))
                article = ArticlePage(
                    title=_sentence(rng)[:-1][:120],
                    slug=f"synthetic-{number}",
                    dek=_sentence(rng),
                    access=rng.choice(ACCESS_MIX),
                    body=_body(rng),
                    live=True,
                    first_published_at=published,
                    last_published_at=published,
                )
                article.bylines.add(ArticleByline(author=rng.choice(authors)))
                rng.choice(sections).add_child(instance=article)
                made += 1
        if progress:
            progress(made)
    return made


def seed_readers(count: int, *, prefix: str = "reader") -> int:
    """Create ``count`` registered readers (password ``readthenews``); returns how many were made."""
    User = get_user_model()
    password = make_password("readthenews")
    start = User.objects.filter(email__startswith=f"{prefix}-").count()
    made = 0
    while made < count:
        batch = [
            User(
                email=f"{prefix}-{start + made + i + 1}@example.com",
                username=f"{prefix}-{start + made + i + 1}@example.com",
                password=password,
            )
            for i in range(min(5000, count - made))
        ]
        User.objects.bulk_create(batch)
        made += len(batch)
    return made
