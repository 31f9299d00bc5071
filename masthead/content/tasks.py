import datetime as dt

from django.core.management import call_command
from django.tasks import task

from masthead.ops.schedule import periodic


@periodic(every=dt.timedelta(minutes=1))
@task()
def publish_scheduled():
    """Publish pages whose go-live time has come and unpublish expired ones."""
    call_command("publish_scheduled", verbosity=0)
