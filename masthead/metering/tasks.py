import datetime as dt

from django.tasks import task

from masthead.lib import clock
from masthead.metering.actions import meter_prune
from masthead.ops.schedule import periodic


@periodic(every=dt.timedelta(hours=6))
@task()
def prune_meter():
    """Keep meter storage bounded: expired windows and old decision logs go."""
    pruned = meter_prune(now=clock.now())
    return {"windows": pruned.windows, "events": pruned.events}
