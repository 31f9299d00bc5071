"""Registering an anonymous app install: a device token naming an anonymous reader, stored only hashed."""

import hashlib

from masthead.accounts.models import Device
from masthead.api.tests.conftest import ApiClient, error_of


def test_it_registers_a_device_with_a_token_kept_only_as_a_hash(api, db):
    response = api.post("/devices")
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("mhd_") and body["token_type"] == "bearer"
    assert "no-store" in response["Cache-Control"]
    device = Device.objects.get()
    assert str(device.pk) == body["device_id"]
    assert device.digest == hashlib.sha256(body["token"].encode()).hexdigest()


def test_the_device_is_the_meters_device_reader(client, db, other_stories):
    from masthead.lib import clock
    from masthead.lib.dates import publication_zone
    from masthead.metering import policy
    from masthead.metering.rules import Segment
    from masthead.metering.stores import get_store
    from masthead.metering.windows import window_for

    body = ApiClient(client).post("/devices").json()
    app = ApiClient(client, body["token"])
    assert app.get(f"/articles/{other_stories[0].pk}").status_code == 200
    assert app.get("/meter").json()["used"] == 1
    now = clock.now()
    window = window_for(policy.current_rules().allowance(Segment.ANONYMOUS), now, publication_zone())
    assert get_store().peek(f"d:{body['device_id']}", window, now) == {other_stories[0].pk}


def test_a_device_can_forget_itself(device_api):
    assert device_api.delete("/devices/current").status_code == 204
    assert device_api.get("/meter").status_code == 401


def test_an_account_token_is_not_a_device(reader_api):
    response = reader_api.delete("/devices/current")
    assert response.status_code == 403
    assert error_of(response)["code"] == "device_required"


def test_registering_sets_no_cookie(api, db):
    response = api.post("/devices")
    assert not response.cookies
