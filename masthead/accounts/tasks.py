import datetime as dt

from django.tasks import task

from masthead.accounts.tokens import credentials_prune
from masthead.lib import clock
from masthead.ops.schedule import periodic


@periodic(every=dt.timedelta(hours=24))
@task()
def prune_credentials():
    """Delete app tokens and devices revoked long ago, and expired app log-in codes."""
    pruned = credentials_prune(now=clock.now())
    return {"app_tokens": pruned.app_tokens, "devices": pruned.devices, "login_codes": pruned.login_codes}
