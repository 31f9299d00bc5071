from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "masthead.content"
    label = "content"
    verbose_name = "Newsroom"

    def ready(self):
        from masthead.content import signals  # noqa: F401 - cache invalidation plumbing
