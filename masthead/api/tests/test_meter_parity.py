"""One meter for the website and the apps: the same windows, the same counts, the same merge on login."""

from django.test import Client

from masthead.api.tests.conftest import ApiClient, read_all_through_api
from masthead.paywall.tests.conftest import read_all

PASSWORD = "correct-horse-battery"


def access_of(app, page) -> dict:
    response = app.get(f"/articles/{page.pk}")
    assert response.status_code == 200, response.content
    return response.json()["access"]


def test_a_signed_in_readers_reads_on_the_web_and_in_the_app_share_one_window(
    reader_client, reader_api, story, other_stories
):
    read_all(reader_client, other_stories[:5])  # on the web
    read_all_through_api(reader_api, other_stories[5:9])  # in the app
    last = access_of(reader_api, other_stories[9])
    assert last["allowed"] and last["counts"] == {"used": 10, "limit": 10, "remaining": 0} and last["last_free"]
    assert reader_api.get("/meter").json()["used"] == 10
    # Out of articles in both places at once.
    assert access_of(reader_api, story.page)["reason"] == "meter_exhausted"
    assert 'data-prompt="subscribe"' in reader_client.get(story.url).content.decode()


def test_a_story_read_on_the_web_is_free_to_read_again_in_the_app(reader_client, reader_api, other_stories):
    read_all(reader_client, other_stories[:1])
    again = access_of(reader_api, other_stories[0])
    assert again["reason"] == "already_read" and again["counts"]["used"] == 1


def test_an_anonymous_device_is_metered_exactly_like_a_browser_cookie(visitor, device_api, story, other_stories):
    read_all(visitor, other_stories[:5])
    reasons = [access_of(device_api, page)["reason"] for page in other_stories[:5]]
    assert reasons == ["within_meter"] * 5
    on_the_web = visitor.get(story.url).content.decode()
    in_the_app = access_of(device_api, story.page)
    assert 'data-prompt="subscribe_or_log_in"' in on_the_web
    assert in_the_app["allowed"] is False
    assert in_the_app["reason"] == "meter_exhausted" and in_the_app["prompt_kind"] == "subscribe_or_log_in"
    assert in_the_app["counts"] == {"used": 5, "limit": 5, "remaining": 0}


def test_two_devices_have_two_windows(device_api, db, other_stories):
    from masthead.api.tests.conftest import ApiClient

    read_all_through_api(device_api, other_stories[:5])
    second = ApiClient(Client(), Client().post("/api/v1/devices").json()["token"])
    assert access_of(second, other_stories[5])["counts"]["used"] == 1


def test_signing_in_on_a_device_carries_its_reads_into_the_account(device_api, reader, story, other_stories):
    read_all_through_api(device_api, other_stories[:3])
    response = device_api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "device_name": "iPad"})
    assert response.status_code == 201, response.content
    signed_in = ApiClient(Client(), response.json()["token"])
    assert signed_in.get("/meter").json() | {"starts": None, "ends": None} == {
        "metered": True,
        "segment": "registered",
        "window": "month",
        "starts": None,
        "ends": None,
        "used": 3,
        "limit": 10,
        "remaining": 7,
    }
    read_all_through_api(signed_in, other_stories[3:10])
    assert access_of(signed_in, story.page)["reason"] == "meter_exhausted"


def test_signing_in_without_a_device_merges_nothing(api, device_api, reader, other_stories):
    read_all_through_api(device_api, other_stories[:3])
    response = api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "device_name": "iPad"})
    signed_in = ApiClient(Client(), response.json()["token"])
    assert signed_in.get("/meter").json()["used"] == 0


def test_signing_out_of_the_app_does_not_restore_free_articles(device_api, reader, story, other_stories):
    response = device_api.post("/auth/token", {"email": reader.email, "password": PASSWORD, "device_name": "iPad"})
    signed_in = ApiClient(Client(), response.json()["token"])
    read_all_through_api(signed_in, other_stories[:10])
    assert signed_in.delete("/auth/token").status_code == 204
    # Back on the device token: its own window holds the signed-in reads, as a browser's does.
    assert device_api.get("/meter").json()["remaining"] == 0
    assert access_of(device_api, story.page)["allowed"] is False


def test_signing_in_again_with_the_same_device_gains_nothing(device_api, reader, other_stories):
    read_all_through_api(device_api, other_stories[:3])
    login = {"email": reader.email, "password": PASSWORD, "device_name": "iPad"}
    for _ in range(3):  # the merge is a union: replaying it adds nothing and takes nothing away
        assert device_api.post("/auth/token", login).status_code == 201
    signed_in = ApiClient(Client(), device_api.post("/auth/token", login).json()["token"])
    assert signed_in.get("/meter").json()["used"] == 3
    assert device_api.get("/meter").json()["used"] == 3
