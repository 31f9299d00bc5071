from django.core.management.base import BaseCommand

from masthead.lib import clock
from masthead.metering.actions import meter_prune


class Command(BaseCommand):
    help = "Delete expired meter windows and old meter decision logs (the worker also runs this daily)."

    def handle(self, **options):
        pruned = meter_prune(now=clock.now())
        self.stdout.write(f"pruned {pruned.windows} meter windows and {pruned.events} decision logs")
