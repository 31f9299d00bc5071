from django.apps import AppConfig
from django.core import checks


def check_unsubscribe_is_https(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """RFC 8058: mail programs offer one-click unsubscribe only for an HTTPS ``List-Unsubscribe`` URL."""
    from django.conf import settings

    if settings.SITE_URL.startswith("https://") or settings.DEBUG or settings.DEMO or settings.TESTING:
        return []
    return [
        checks.Warning(
            "SITE_URL is not https://, so newsletter List-Unsubscribe links are not HTTPS and mail programs will "
            "not offer one-click unsubscribe (RFC 8058).",
            hint="Serve the site over HTTPS and set SITE_URL=https://…",
            id="newsletters.W001",
        )
    ]


class NewslettersConfig(AppConfig):
    name = "masthead.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        checks.register(check_unsubscribe_is_https)
        # Plumbing only: anymail's tracking signal hands bounces and complaints to an action.
        from anymail.signals import tracking

        from masthead.newsletters import webhooks

        tracking.connect(webhooks.on_tracking_event, dispatch_uid="masthead.newsletters.tracking")
