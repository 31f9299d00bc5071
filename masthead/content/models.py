"""The newsroom's content: the front page, sections, articles and authors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.text import slugify
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from masthead.content.blocks import (
    ArticleBodyBlock,
    block_text,
    count_words,
    lead_in_count,
    reading_minutes,
)

# How long a rendered page is kept per outcome; edits and publishes change its key sooner.
RENDERED_PAGE_SECONDS = 3600

# The lead-in: what every reader sees of a non-free story. Roughly 50-100 words,
# as search engines recommend for paywalled content.
LEAD_IN_PARAGRAPHS = 2
LEAD_IN_MIN_WORDS = 50


class Access(models.TextChoices):
    FREE = "free", "Free to everyone"
    METERED = "metered", "Metered"
    SUBSCRIBERS = "subscribers", "Subscribers only"


class Author(index.Indexed, models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    role = models.CharField(max_length=120, blank=True)
    bio = models.TextField(blank=True)
    photo = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("role"), FieldPanel("bio"), FieldPanel("photo")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("content:author", args=[self.slug])

    def clean(self):
        if not self.slug:
            self.slug = slugify(self.name)


register_snippet(Author)


class ArticleTopic(TaggedItemBase):
    content_object = ParentalKey("content.ArticlePage", on_delete=models.CASCADE, related_name="tagged_items")


class ServedPage(Page):
    """A public page whose view restrictions can be answered from the route cache.

    Wagtail asks for a page's view restrictions on every request (two queries).
    ``serve_page`` attaches the answer it cached under the content generation,
    which any restriction change bumps; everything else (the admin's privacy
    settings, for one) still gets a live query set.
    """

    _cached_view_restrictions: list | None = None

    class Meta:
        abstract = True

    def get_view_restrictions(self):
        cached = self._cached_view_restrictions
        if cached is None:
            return super().get_view_restrictions()
        from wagtail.models import PageViewRestriction

        restrictions = PageViewRestriction.objects.filter(pk__in=[r.pk for r in cached])
        restrictions._result_cache = list(cached)  # iterating it runs no query
        return restrictions

    # -- serving whole pages from the cache --

    def whole_page_key(self, request) -> str | None:
        """The cache key of this page as every anonymous reader sees it, or None when it is not shared.

        Only plain anonymous GETs share a page: signed-in readers, previews and
        URLs with a query string (a listing's ``?page=2``) are always rendered.
        The key carries the revision and the content generation, so an edit or
        any publish elsewhere (a new story on a listing) retires it at once.
        """
        if not _is_shared_request(request):
            return None
        return f"whole-page:{self.pk}:{self.latest_revision_id}:{_generation(request)}:{request.path}"

    def personalise_body(self, body: bytes, request) -> bytes:
        """``body`` as this reader receives it; a cached page is passed through here on every response."""
        return body

    def serve(self, request, *args, **kwargs):
        return self.serve_whole(request, self.whole_page_key(request), *args, **kwargs)

    def serve_whole(self, request, key: str | None, *args, **kwargs) -> HttpResponse:
        """The page from the cache under ``key``, or rendered (and cached, when it is shareable).

        The response is always rendered, so it may be returned from a middleware.
        The cache keeps bytes, not a response: a hit costs no unpickling of objects.
        """
        from django.core.cache import cache

        body = cache.get(key) if key else None
        if body is not None:
            return HttpResponse(self.personalise_body(body, request))
        response = super().serve(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        if response.status_code == 200:
            # Nothing reader-specific (a CSRF token or cookie, say) may go into a shared page.
            if key and not response.cookies and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
                cache.set(key, response.content, RENDERED_PAGE_SECONDS)
            response.content = self.personalise_body(response.content, request)
        return response


def _generation(request) -> int:
    """The content generation for this request: as the fast path found it, else from the cache."""
    generation = getattr(request, "content_generation", None)
    if generation is None:
        from masthead.content.selectors import content_generation

        generation = content_generation()
    return generation


def _is_shared_request(request) -> bool:
    """True for a request whose page every anonymous reader shares: a plain anonymous GET, not a preview."""
    user = getattr(request, "user", None)
    return not (
        request.method != "GET"
        or request.GET
        or getattr(request, "is_preview", False)
        or (user is not None and user.is_authenticated)
    )


class HomePage(ServedPage):
    """The front page: a lead story, top stories and a rail per section."""

    strapline = models.CharField(max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("strapline")]
    subpage_types = ["content.SectionPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from functools import cache

        from masthead.content import selectors

        context = super().get_context(request, *args, **kwargs)
        front = cache(lambda: selectors.front_page(self))
        # The front page is rendered inside a fragment cache keyed on the content
        # generation; its queries run only when that fragment is stale.
        context["generation"] = selectors.content_generation()
        context["lead"] = lambda: front()["lead"]
        context["top_stories"] = lambda: front()["top_stories"]
        context["rails"] = lambda: front()["rails"]
        return context


class SectionPage(ServedPage):
    intro = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["content.ArticlePage"]
    parent_page_types = ["content.HomePage"]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    PAGE_SIZE = 12

    def get_context(self, request, *args, **kwargs):
        from masthead.content import selectors

        context = super().get_context(request, *args, **kwargs)
        paginator = Paginator(selectors.section_articles(self), self.PAGE_SIZE)
        try:
            page_obj = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page_obj = paginator.page(1)
        except EmptyPage:
            page_obj = paginator.page(paginator.num_pages)
        context["page_obj"] = page_obj
        context["articles"] = page_obj.object_list
        return context


class ArticlePageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned = super().clean()
        bylines = self.formsets.get("bylines")
        if bylines is not None:
            seen = set()
            for form in bylines.forms:
                if not form.is_valid() or form.cleaned_data.get("DELETE"):
                    continue
                person = form.cleaned_data.get("author")
                if person is not None and person.pk in seen:
                    form.add_error("author", f"{person} appears twice in the bylines.")
                seen.add(person.pk if person else None)
        return cleaned


class ArticlePage(ServedPage):
    """A story. ``title`` is the headline."""

    base_form_class = ArticlePageForm

    dek = models.TextField(max_length=400, help_text="The standfirst: one or two sentences under the headline.")
    dateline = models.CharField(max_length=80, blank=True, help_text="Where the story was reported, e.g. OSAKA.")
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a published story is substantially updated."
    )
    lead_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_image_caption = models.CharField(max_length=300, blank=True)
    lead_image_credit = models.CharField(max_length=120, blank=True)
    lead_image_alt = models.CharField(
        max_length=250, blank=True, help_text="Describe the image for readers who cannot see it."
    )
    body = StreamField(ArticleBodyBlock())
    topics = ClusterTaggableManager(through=ArticleTopic, blank=True)
    region = models.CharField(max_length=80, blank=True)
    access = models.CharField(max_length=12, choices=Access.choices, default=Access.METERED)
    word_count = models.PositiveIntegerField(default=0, editable=False)
    reading_time = models.PositiveSmallIntegerField(default=1, editable=False, help_text="Minutes")

    content_panels = [
        FieldPanel("title", heading="Headline"),
        FieldPanel("dek"),
        InlinePanel("bylines", heading="Bylines", label="Byline", min_num=1),
        FieldRowPanel([FieldPanel("dateline"), FieldPanel("region")]),
        MultiFieldPanel(
            [
                FieldPanel("lead_image"),
                FieldPanel("lead_image_caption"),
                FieldPanel("lead_image_credit"),
                FieldPanel("lead_image_alt"),
            ],
            heading="Lead image",
        ),
        FieldPanel("body"),
        FieldPanel("topics"),
    ]
    promote_panels = [*Page.promote_panels, FieldPanel("access"), FieldPanel("updated_at")]
    subpage_types: list[str] = []
    parent_page_types = ["content.SectionPage"]
    search_fields = [
        *Page.search_fields,
        index.SearchField("dek"),
        index.SearchField("body"),
        index.FilterField("access"),
        index.RelatedFields("topics", [index.SearchField("name")]),
    ]

    class Meta:
        indexes = [models.Index(fields=["access"])]

    def clean(self):
        super().clean()
        if self.updated_at and self.first_published_at and self.updated_at < self.first_published_at:
            raise ValidationError({"updated_at": "An update cannot come before the story was first published."})

    def save(self, *args, **kwargs):
        words = sum(count_words(text) for _, text in self.body_text_items())
        self.word_count = words
        self.reading_time = reading_minutes(words)
        return super().save(*args, **kwargs)

    # -- facts derived from the body, used by templates, feeds and structured data --

    def body_text_items(self) -> list[tuple[str, str]]:
        return [(child.block_type, block_text(child.block_type, child.value)) for child in self.body]

    @property
    def is_free(self) -> bool:
        return self.access == Access.FREE

    def lead_in_blocks(self, rules=None) -> int:
        """The number of body blocks anyone may see (the rest is for entitled readers)."""
        return lead_in_count(
            self.body_text_items(),
            paragraphs=rules.lead_in_paragraphs if rules else LEAD_IN_PARAGRAPHS,
            min_words=rules.lead_in_min_words if rules else LEAD_IN_MIN_WORDS,
        )

    def cached_lead_in_blocks(self, rules) -> int:
        """``lead_in_blocks`` of the live story, remembered per live revision and rules version (it parses the body).

        Only for the page as stored, whose body is the live one: a draft shown in a preview
        shares the page's id and revisions, and must not leave its own cut behind for the live
        story (callers use ``lead_in_blocks`` for a preview).
        """
        from django.core.cache import cache

        key = f"article:lead-in:{self.pk}:{self.live_revision_id}:{rules.version}"
        split = cache.get(key)
        if split is None:
            split = self.lead_in_blocks(rules)
            cache.set(key, split, 86400)
        return split

    @cached_property
    def author_list(self) -> list[Author]:
        """The article's authors in byline order, in one query (none when prefetched)."""
        bylines = self.bylines.all()
        prefetched = "bylines" in getattr(self, "_prefetched_objects_cache", {})
        if isinstance(bylines, models.QuerySet) and not prefetched:
            # A preview's unsaved bylines come as modelcluster's in-memory list instead.
            bylines = bylines.select_related("author")
        return [byline.author for byline in bylines]

    @property
    def published_at(self):
        return self.first_published_at or self.go_live_at or self.latest_revision_created_at

    def serve(self, request, *args, **kwargs):
        from masthead.paywall.gate import article_decision

        # The paywall attaches here, once: the decision is made before anything
        # renders, and the template only ever receives the blocks it may show.
        decision = request.paywall_decision = article_decision(request, self)
        response = self.serve_whole(request, self.rendered_page_key(request, decision), *args, **kwargs)
        if not self.is_free:
            # Metered and subscribers-only pages differ per reader: no shared cache may keep one.
            patch_cache_control(response, private=True, max_age=0)
        return response

    def personalise_body(self, body: bytes, request) -> bytes:
        from masthead.paywall.personalise import personalise

        return personalise(body, request)

    def rendered_page_key(self, request, decision) -> str | None:
        """The cache key of this page as an anonymous reader with this outcome sees it, or None.

        For anonymous readers the whole page depends only on the story and on the
        decision's outcome: full story or lead-in with a given prompt, and the
        countdown's numbers. Each outcome is a separate entry, so a lead-in page
        is only ever rendered, and cached, without the locked part. Signed-in
        readers, previews and URLs with a query string are always rendered.
        """
        from masthead.metering.policy import current_rules
        from masthead.paywall.personalise import cache_version

        if not _is_shared_request(request):
            return None
        outcome = ":".join(
            str(part)
            for part in (
                int(decision.allowed),
                decision.prompt or "",
                decision.remaining if decision.show_countdown else "",
                decision.limit if decision.show_countdown else "",
                int(decision.last_free),
            )
        )
        return (
            f"article-page:{self.pk}:{self.latest_revision_id}:{_generation(request)}:"
            f"{current_rules().version}:{cache_version()}:{outcome}"
        )

    def get_context(self, request, *args, **kwargs):
        from masthead.billing.selectors import reader_standing
        from masthead.content import selectors, structured_data
        from masthead.metering.policy import current_rules
        from masthead.paywall.prompts import prompt_for

        context = super().get_context(request, *args, **kwargs)
        selectors.with_sections([self])
        rules = current_rules()
        # No decision means a preview in the admin: editors see the whole story.
        decision = getattr(request, "paywall_decision", None)
        shows_full = decision is None or decision.allowed
        preview = getattr(request, "is_preview", False)
        split = self.lead_in_blocks(rules) if preview else self.cached_lead_in_blocks(rules)
        # Callables: the template evaluates them only on a fragment-cache miss, so a
        # cached page never deserialises its body.
        context.update(
            lead_in=lambda: list(self.body)[:split],
            rest=lambda: list(self.body)[split:] if shows_full else [],
            shows_full=shows_full,
            decision=decision,
            prompt=prompt_for(
                decision,
                next_url=request.get_full_path(),
                segment=reader_standing(getattr(request, "user", None)).segment,
            )
            if decision
            else None,
            rules_version=rules.version,
            generation=selectors.content_generation(),
            # A callable: the template evaluates it only on a fragment-cache miss.
            json_ld=lambda: structured_data.news_article(self, request, lead_in_blocks=split),
        )
        return context


class ArticleByline(Orderable):
    article = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")

    panels = [FieldPanel("author")]

    # No unique (article, author) constraint in the database: modelcluster saves
    # new child rows before deleting removed ones, so removing and re-adding an
    # author in one edit would trip it. ArticlePageForm refuses duplicates instead.


class ContentGeneration(models.Model):
    """A counter bumped whenever published content changes.

    Cached fragments that list many articles (the front page, feeds) put this
    number in their keys. Kept in the database, not the cache, so every web
    process sees a publish at once even with per-process caches.
    """

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"content generation {self.value}"
