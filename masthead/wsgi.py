import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
application = get_wsgi_application()


def _freeze_startup() -> None:
    """Keep the garbage collector from scanning what was loaded at startup, again and again.

    Django, Wagtail and the URLconf leave a web process with some 200,000 objects that
    live as long as it does. Each full collection walked them all: a pause of about
    0.1 s every few thousand requests, for every request the process had in hand.
    Frozen, they are never scanned; what requests allocate is collected as before.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's URLconf now, not on the first request
    gc.collect()
    gc.freeze()


_freeze_startup()
