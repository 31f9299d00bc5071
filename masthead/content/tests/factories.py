"""Builders for content in tests: small, fast, and explicit about what they make."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from wagtail.models import Page, Site

from masthead.content.models import Access, ArticleByline, ArticlePage, Author, HomePage, SectionPage
from masthead.lib import clock

_serial = itertools.count(1)


def paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def words(prefix: str, n: int) -> str:
    """``n`` distinct words, each carrying ``prefix`` so tests can find them in output."""
    return " ".join(f"{prefix}{i}" for i in range(n))


def body(marker: str, *, paragraphs: int = 6, words_each: int = 40) -> list[dict]:
    """A body whose every paragraph is identifiable: ``{marker}p{n}w{i}`` words."""
    blocks = []
    for n in range(paragraphs):
        if n == 3:
            blocks.append({"type": "subheading", "value": f"{marker} subheading"})
        blocks.append(paragraph(words(f"{marker}p{n}w", words_each)))
    return blocks


def home() -> HomePage:
    existing = HomePage.objects.first()
    if existing:
        return existing
    root = Page.objects.get(depth=1)
    for child in root.get_children():
        child.delete()
    page = root.add_child(instance=HomePage(title="The Test Times", slug="home"))
    page.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": page, "site_name": "Test"}
    )
    return page


def section(title: str, slug: str | None = None) -> SectionPage:
    page = home().add_child(instance=SectionPage(title=title, slug=slug or title.lower(), intro=f"All about {title}"))
    page.save_revision().publish()
    return page


def author(name: str = "Ada Writer") -> Author:
    slug = name.lower().replace(" ", "-")
    return Author.objects.get_or_create(slug=slug, defaults={"name": name, "role": "Reporter", "bio": "Writes."})[0]


def article(
    parent: SectionPage,
    *,
    title: str | None = None,
    access: str = Access.METERED,
    authors: list[Author] | None = None,
    published: dt.datetime | None = None,
    blocks: list[dict] | None = None,
    topics: list[str] = (),
    live: bool = True,
    **fields,
) -> ArticlePage:
    n = next(_serial)
    title = title or f"Story number {n}"
    marker = fields.pop("marker", f"s{n}x")
    page = ArticlePage(
        title=title,
        slug=fields.pop("slug", f"story-{n}"),
        dek=fields.pop("dek", f"The dek of story {n}."),
        access=access,
        body=blocks if blocks is not None else body(marker),
        **fields,
    )
    for person in authors or [author()]:
        page.bylines.add(ArticleByline(author=person))
    parent.add_child(instance=page)
    if topics:
        page.topics.add(*topics)
        page.save()
    if live:
        page.save_revision().publish()
        if published is not None:
            ArticlePage.objects.filter(pk=page.pk).update(first_published_at=published, last_published_at=published)
            page.refresh_from_db()
    else:
        page.save_revision()
        ArticlePage.objects.filter(pk=page.pk).update(live=False)
        page.refresh_from_db()
    return page


@dataclass
class Newsroom:
    home: HomePage
    politics: SectionPage
    economy: SectionPage
    articles: list[ArticlePage] = field(default_factory=list)

    def by_access(self, access: str) -> ArticlePage:
        return next(a for a in self.articles if a.access == access)


def newsroom() -> Newsroom:
    """Two sections; a free, a metered and a subscribers-only story, and a couple more."""
    now = clock.now()
    room = Newsroom(home=home(), politics=section("Politics"), economy=section("Economy"))
    ada, ben = author("Ada Writer"), author("Ben Reporter")
    specs = [
        (room.politics, Access.METERED, [ada], 1, ["Elections"], "metered"),
        (room.politics, Access.FREE, [ben], 2, ["Elections", "Budget"], "free"),
        (room.economy, Access.SUBSCRIBERS, [ada, ben], 3, ["Budget"], "subs"),
        (room.economy, Access.METERED, [ben], 30, [], "older"),
    ]
    for parent, access, people, hours, topics, marker in specs:
        room.articles.append(
            article(
                parent,
                access=access,
                authors=people,
                published=now - dt.timedelta(hours=hours),
                topics=topics,
                marker=marker,
                dateline="OSAKA",
            )
        )
    return room
