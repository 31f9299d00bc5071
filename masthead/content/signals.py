"""Cache invalidation plumbing only: no business flow lives here."""

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move

from masthead.content.models import Author, ContentGeneration


def bump_generation(**_kwargs) -> None:
    """Invalidate every cached listing (front page, feeds) at once."""
    from django.core.cache import cache

    from masthead.content.selectors import GENERATION_CACHE_KEY, SECTIONS_CACHE_KEY

    updated = ContentGeneration.objects.filter(pk=1).update(value=F("value") + 1)
    if not updated:
        ContentGeneration.objects.get_or_create(pk=1, defaults={"value": 0})
        ContentGeneration.objects.filter(pk=1).update(value=F("value") + 1)
    cache.delete_many([SECTIONS_CACHE_KEY, GENERATION_CACHE_KEY])


page_published.connect(bump_generation, dispatch_uid="content-generation-published")
page_unpublished.connect(bump_generation, dispatch_uid="content-generation-unpublished")
post_page_move.connect(bump_generation, dispatch_uid="content-generation-moved")


@receiver(post_delete, dispatch_uid="content-generation-deleted")
def _page_deleted(sender, **kwargs):
    from wagtail.models import Page

    if isinstance(sender, type) and issubclass(sender, Page):
        bump_generation()


@receiver(post_save, dispatch_uid="content-generation-restriction-saved")
@receiver(post_delete, dispatch_uid="content-generation-restriction-deleted")
def _restriction_changed(sender, **kwargs):
    from wagtail.models import PageViewRestriction

    if sender is PageViewRestriction:
        bump_generation()


@receiver(post_save, sender=Author, dispatch_uid="content-generation-author")
def _author_saved(**kwargs):
    bump_generation()
