from django.core.management.base import BaseCommand

from masthead.accounts.tokens import credentials_prune
from masthead.lib import clock
from masthead.metering.actions import meter_prune


class Command(BaseCommand):
    help = (
        "Delete what has expired: meter windows, old meter decision logs, app tokens and devices revoked "
        "30 days ago, expired app log-in codes (the worker also runs each of these)."
    )

    def handle(self, **options):
        now = clock.now()
        pruned = meter_prune(now=now)
        self.stdout.write(f"pruned {pruned.windows} meter windows and {pruned.events} decision logs")
        credentials = credentials_prune(now=now)
        self.stdout.write(
            f"pruned {credentials.app_tokens} revoked app tokens, {credentials.devices} revoked devices "
            f"and {credentials.login_codes} expired log-in codes"
        )
