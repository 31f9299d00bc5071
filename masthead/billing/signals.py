"""Plumbing only: pages that show offers are cached, and forget them when offers or plans change."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from masthead.billing import offers
from masthead.billing.models import Offer, Plan


@receiver([post_save, post_delete], sender=Offer)
@receiver([post_save, post_delete], sender=Plan)
def forget_cached_offers(**kwargs):
    transaction.on_commit(offers.bump_version)
