from django.conf import settings


def publication(request):
    """The publication's name and navigation, on every page."""
    from masthead.content.selectors import content_generation, navigation_sections

    return {
        "publication": {
            "name": settings.PUBLICATION_NAME,
            "language": settings.PUBLICATION_LANGUAGE,
            "site_url": settings.SITE_URL,
        },
        "nav_sections": navigation_sections,
        # For fragment-cache keys; a callable so pages that cache nothing never ask.
        "generation": content_generation,
    }
