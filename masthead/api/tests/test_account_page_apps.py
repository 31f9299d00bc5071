"""The account page lists the reader's apps, and the export names them (never their tokens)."""

from masthead.api.tests.conftest import app_for


def test_the_account_page_lists_the_readers_apps_only(client, reader, editor):
    mine = app_for(client, reader, name="Kenji's iPad")
    app_for(client, editor, name="Editor's phone")
    client.force_login(reader)
    html = client.get("/account/").content.decode()
    assert "Kenji&#x27;s iPad" in html
    assert "Editor&#x27;s phone" not in html
    assert f"/account/apps/{mine.app_token.pk}/revoke/" in html


def test_revoking_needs_a_post(client, reader):
    mine = app_for(client, reader)
    client.force_login(reader)
    assert client.get(f"/account/apps/{mine.app_token.pk}/revoke/").status_code == 405


def test_the_export_names_the_apps_and_never_holds_a_token(client, reader):
    mine = app_for(client, reader, name="Kenji's iPad")
    client.force_login(reader)
    response = client.get("/account/export.json")
    assert [app["name"] for app in response.json()["apps"]] == ["Kenji's iPad"]
    assert mine.token.encode() not in response.content
