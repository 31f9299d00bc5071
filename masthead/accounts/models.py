"""Accounts: a reader, editor or any other person who signs in, keyed by email."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class AccountManager(UserManager):
    def _create_user_object(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        return super()._create_user_object(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        return super().create_superuser(email, email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """An account. The email address is the login; ``username`` mirrors it for tools that expect one."""

    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = AccountManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [models.UniqueConstraint(Lower("email"), name="unique_email_ignoring_case")]

    def save(self, *args, **kwargs):
        self.email = self.email.strip()
        self.username = self.email
        # A change of address saved field by field (as allauth does) carries the mirror with it.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username"}
        super().save(*args, **kwargs)


class AppToken(models.Model):
    """An app's key to a reader's account: a bearer token kept only as its SHA-256 digest.

    Named after the device it was issued to ("Kenji's iPad"). Revoking it ends
    that device's access at its very next request.
    """

    reader = models.ForeignKey(User, on_delete=models.CASCADE, related_name="app_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The anonymous app install it was issued on, if any: its reads are mirrored there, as a browser's are.
    device = models.ForeignKey("accounts.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["reader", "revoked_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Device(models.Model):
    """An anonymous app install: its id is the meter's device reader id (``d:<id>``).

    The app holds a bearer token for it, kept here only as its SHA-256 digest.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"device {self.id}"


class LoginCode(models.Model):
    """A one-time log-in code emailed to a reader for an app, kept only as its digest."""

    reader = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"log-in code for {self.reader_id}"
