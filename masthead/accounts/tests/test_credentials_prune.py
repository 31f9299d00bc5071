"""Revoked app credentials and expired log-in codes are deleted, and nothing live goes with them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from masthead.accounts.models import AppToken, Device, LoginCode
from masthead.accounts.tasks import prune_credentials
from masthead.accounts.tokens import (
    REVOKED_KEPT,
    app_token_create,
    app_token_for,
    app_token_revoke,
    credentials_prune,
    device_create,
    device_for,
    device_revoke,
    login_code_check,
    login_code_issue,
)

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def revoked_token(reader, name: str, ago: dt.timedelta) -> AppToken:
    with time_machine.travel(NOW - ago, tick=False):
        token, _ = app_token_create(reader=reader, name=name)
        app_token_revoke(token=token, actor=reader)
    return token


def revoked_device(ago: dt.timedelta) -> Device:
    with time_machine.travel(NOW - ago, tick=False):
        device, _ = device_create()
        device_revoke(device=device)
    return device


@pytest.mark.parametrize(
    ("revoked_ago", "kept"),
    [
        (dt.timedelta(days=0), True),
        (REVOKED_KEPT - dt.timedelta(seconds=1), True),
        (REVOKED_KEPT, True),
        (REVOKED_KEPT + dt.timedelta(seconds=1), False),
        (dt.timedelta(days=400), False),
    ],
)
def test_revoked_tokens_and_devices_go_once_kept_long_enough(reader, revoked_ago, kept):
    token = revoked_token(reader, "Old phone", revoked_ago)
    device = revoked_device(revoked_ago)

    pruned = credentials_prune(now=NOW)

    assert AppToken.objects.filter(pk=token.pk).exists() is kept
    assert Device.objects.filter(pk=device.pk).exists() is kept
    assert (pruned.app_tokens, pruned.devices) == ((0, 0) if kept else (1, 1))


def test_live_tokens_and_devices_stay_and_keep_working(reader):
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        live_token, token_secret = app_token_create(reader=reader, name="Kenji's iPad")
        live_device, device_secret = device_create()
    revoked_token(reader, "Old phone", dt.timedelta(days=90))

    with time_machine.travel(NOW, tick=False):
        credentials_prune(now=NOW)
        assert app_token_for(token_secret) == live_token
        assert device_for(device_secret) == live_device
    assert list(AppToken.objects.values_list("name", flat=True)) == ["Kenji's iPad"]


def test_a_token_issued_on_a_pruned_device_stays_without_it(reader):
    old = revoked_device(dt.timedelta(days=90))
    with time_machine.travel(NOW - dt.timedelta(days=90), tick=False):
        token, secret = app_token_create(reader=reader, name="Signed in on the old install", device=old)

    credentials_prune(now=NOW)

    token.refresh_from_db()
    assert token.device is None
    with time_machine.travel(NOW, tick=False):
        assert app_token_for(secret) == token


def test_only_expired_log_in_codes_go(reader, django_user_model):
    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        login_code_issue(reader=other)  # long expired
    with time_machine.travel(NOW - dt.timedelta(seconds=30), tick=False):
        code = login_code_issue(reader=reader)  # still good

    pruned = credentials_prune(now=NOW)

    assert pruned.login_codes == 1
    assert list(LoginCode.objects.values_list("reader", flat=True)) == [reader.pk]
    with time_machine.travel(NOW, tick=False):
        assert login_code_check(reader=reader, code=code) is True


def test_masthead_prune_and_the_worker_task_both_prune_credentials(reader, capsys):
    revoked_token(reader, "Old phone", dt.timedelta(days=90))
    revoked_device(dt.timedelta(days=90))
    with time_machine.travel(NOW, tick=False):
        call_command("prune")
    assert "pruned 1 revoked app tokens, 1 revoked devices and 0 expired log-in codes" in capsys.readouterr().out
    assert not AppToken.objects.exists()

    revoked_token(reader, "Another old phone", dt.timedelta(days=90))
    with time_machine.travel(NOW, tick=False):
        result = prune_credentials.call()
    assert result == {"app_tokens": 1, "devices": 0, "login_codes": 0}
    assert not AppToken.objects.exists()
