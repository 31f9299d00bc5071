from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "masthead.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"

    def ready(self):
        # Plumbing only: anymail's tracking signal hands bounces and complaints to an action.
        from anymail.signals import tracking

        from masthead.newsletters import webhooks

        tracking.connect(webhooks.on_tracking_event, dispatch_uid="masthead.newsletters.tracking")
