from django.conf import settings


def publication(request):
    """The publication's name and navigation, on every page."""
    from masthead.content.selectors import navigation_sections

    return {
        "publication": {
            "name": settings.PUBLICATION_NAME,
            "language": settings.PUBLICATION_LANGUAGE,
            "site_url": settings.SITE_URL,
        },
        "nav_sections": navigation_sections,
    }
