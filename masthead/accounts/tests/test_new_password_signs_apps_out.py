"""A new password, changed or reset, signs every app out: their tokens stop working at once."""

from masthead.accounts.tests.conftest import PASSWORD, link_in, log_in
from masthead.accounts.tokens import app_token_create, app_token_for

NEW_PASSWORD = "a-brand-new-password"


def test_it_revokes_app_tokens_when_the_password_is_changed(client, verified_reader):
    _, secret = app_token_create(reader=verified_reader, name="Kenji's iPad")
    log_in(client, verified_reader.email)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert app_token_for(secret) is None


def test_it_revokes_app_tokens_when_the_password_is_reset(client, verified_reader, mailoutbox):
    _, secret = app_token_create(reader=verified_reader, name="Kenji's iPad")
    client.post("/accounts/password/reset/", {"email": verified_reader.email})
    form_url = client.get(link_in(mailoutbox[-1], "/accounts/password/reset/key/"))["Location"]

    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert app_token_for(secret) is None


def test_it_leaves_another_readers_app_tokens_alone(client, verified_reader, django_user_model):
    other = django_user_model.objects.create_user(email="other@example.com", password="x")
    _, secret = app_token_create(reader=other, name="Other phone")
    log_in(client, verified_reader.email)

    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert app_token_for(secret) is not None
