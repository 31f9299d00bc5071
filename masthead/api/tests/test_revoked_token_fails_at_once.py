"""A revoked app token fails on its very next request, however it was revoked."""

from masthead.accounts import tokens
from masthead.api.tests.conftest import error_of


def test_a_token_revoked_through_the_api_fails_at_once(reader_api):
    assert reader_api.get("/me").status_code == 200
    assert reader_api.delete(f"/tokens/{reader_api.app_token.pk}").status_code == 204
    response = reader_api.get("/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_signing_out_revokes_the_token_carried(reader_api):
    assert reader_api.delete("/auth/token").status_code == 204
    assert reader_api.get("/tokens").status_code == 401


def test_a_token_revoked_on_the_account_page_fails_at_once(client, reader, reader_api):
    client.force_login(reader)
    page = client.get("/account/")
    assert "Test phone" in page.content.decode()
    response = client.post(f"/account/apps/{reader_api.app_token.pk}/revoke/")
    assert response.status_code == 302
    assert reader_api.get("/me").status_code == 401
    assert "Sign out Test phone" not in client.get("/account/").content.decode()


def test_a_revoked_token_reads_no_article_either(reader_api, story):
    tokens.app_token_revoke(token=reader_api.app_token, actor=reader_api.app_token.reader)
    response = reader_api.get(f"/articles/{story.page.pk}")
    assert response.status_code == 401
    assert b"lockedp" not in response.content


def test_deleting_the_account_revokes_its_tokens(reader, reader_api):
    from masthead.accounts.actions import account_delete

    account_delete(reader=reader, actor=reader)
    assert reader_api.get("/me").status_code == 401
