from django.test import Client

from masthead.accounts.tests.conftest import link_in, log_in, logged_in

NEW_PASSWORD = "a-brand-new-password"


def test_it_resets_a_forgotten_password_through_the_emailed_link(client, verified_reader, mailoutbox, settings):
    response = client.post("/accounts/password/reset/", {"email": verified_reader.email})
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.subject == f"{settings.PUBLICATION_NAME}: Reset your password"

    # The link swaps its key into the session and moves on to the form.
    form_url = client.get(link_in(message, "/accounts/password/reset/key/"))["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302

    elsewhere = Client()
    log_in(elsewhere, verified_reader.email)  # the old password
    assert not logged_in(elsewhere)
    log_in(elsewhere, verified_reader.email, NEW_PASSWORD)
    assert logged_in(elsewhere)
