"""RSS 2.0 and Atom feeds for the site and for each section.

Items carry the headline and the dek only. A feed is a public copy that any
aggregator keeps, so no body text of any story goes into one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed

from masthead.content import selectors
from masthead.content.models import SectionPage

FEED_SIZE = 30


class ArticleRssFeed(Feed):
    def get_object(self, request, section: str | None = None):
        if section is None:
            return None
        page = SectionPage.objects.live().filter(slug=section).first()
        if page is None:
            raise Http404("No such section")
        return page

    def title(self, obj):
        return f"{settings.PUBLICATION_NAME}: {obj.title}" if obj else settings.PUBLICATION_NAME

    # Absolute URLs from SITE_URL: Django would otherwise build them from the
    # request's Host header, which a feed reader may have reached us through.
    def link(self, obj):
        return settings.SITE_URL + (obj.url if obj else "/")

    def description(self, obj):
        return (obj.intro if obj and obj.intro else None) or f"The latest from {settings.PUBLICATION_NAME}"

    def feed_url(self, obj):
        kind = "atom" if self.feed_type is Atom1Feed else "rss"
        return f"{settings.SITE_URL}/feeds/{obj.slug + '/' if obj else ''}{kind}.xml"

    def items(self, obj):
        return selectors.recent_articles(section=obj, limit=FEED_SIZE)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.dek

    def item_link(self, item):
        return settings.SITE_URL + item.url

    def item_guid(self, item):
        return f"{settings.SITE_URL}/_/article/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at or item.last_published_at

    def item_author_name(self, item):
        return ", ".join(author.name for author in item.author_list) or None

    def item_categories(self, item):
        return [item.section_title] if item.section_title else []


class ArticleAtomFeed(ArticleRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj):
        return self.description(obj)
